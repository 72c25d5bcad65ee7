#!/usr/bin/env Rscript
# R half of the Mann-Whitney reference vectors; gen_reference.py runs it.
#
#   Rscript gen_reference.R cases.tsv out.tsv confidence
#
# Input: one case per line, "name<TAB>x<TAB>y", values as C99 hex floats
# (exact; R's decimal parser is not always correctly rounded) separated by
# commas. Output: one line per case, "name<TAB>key=value;key=value...",
# numbers again as hex floats (%a), "Inf"/"-Inf" as such, NA when R gave
# none:
#   pa_<alt>   wilcox.test(x, y, alternative=<alt>, exact=FALSE, correct=TRUE)$p.value
#   cia_<alt>  its conf.int (normal approximation, uniroot with tol 1e-4), lo,hi
#   pe_<alt>   wilcox.test(..., exact=TRUE)$p.value, only when there are no
#              ties and n*m <= 10000 (else R would fall back to normal)
#   cie_<alt>  its conf.int (order statistics of the differences), lo,hi
#   este       its estimate (median of the differences)
# with <alt> one of two.sided, greater, less (x = canary, y = baseline).
args <- commandArgs(trailingOnly = TRUE)
conf <- as.numeric(args[3])
lines <- readLines(args[1])
hex <- function(v) ifelse(is.na(v), "NA", ifelse(is.infinite(v), ifelse(v > 0, "Inf", "-Inf"), sprintf("%a", v)))
parse <- function(s) if (nchar(s) == 0) numeric(0) else as.numeric(strsplit(s, ",", fixed = TRUE)[[1]])
out <- character(length(lines))
for (i in seq_along(lines)) {
  f <- strsplit(lines[i], "\t", fixed = TRUE)[[1]]
  x <- parse(f[2]); y <- parse(f[3])
  kv <- character(0)
  ties <- length(unique(c(x, y))) != length(x) + length(y)
  for (alt in c("two.sided", "greater", "less")) {
    r <- tryCatch(suppressWarnings(wilcox.test(x, y, alternative = alt, exact = FALSE, correct = TRUE,
                                               conf.int = TRUE, conf.level = conf)),
                  error = function(e) suppressWarnings(wilcox.test(x, y, alternative = alt, exact = FALSE, correct = TRUE)))
    kv <- c(kv, paste0("pa_", alt, "=", hex(r$p.value)))
    if (!is.null(r$conf.int)) kv <- c(kv, paste0("cia_", alt, "=", paste(hex(r$conf.int), collapse = ",")))
    if (!ties && length(x) * length(y) <= 10000) {
      e <- wilcox.test(x, y, alternative = alt, exact = TRUE, conf.int = TRUE, conf.level = conf)
      kv <- c(kv, paste0("pe_", alt, "=", hex(e$p.value)),
              paste0("cie_", alt, "=", paste(hex(e$conf.int), collapse = ",")))
      if (alt == "two.sided") kv <- c(kv, paste0("este=", hex(unname(e$estimate))))
    }
  }
  out[i] <- paste0(f[1], "\t", paste(kv, collapse = ";"))
}
writeLines(out, args[2])
