# R half of the reference vectors for welch.go, ks.go, proportions.go,
# adjust.go, bayes.go and srm.go. Not run on its own: gen_tests.py writes
# the cases to a plain-text file, runs
#
#     Rscript gen_tests.R cases.txt results.txt
#
# and merges the results into tests_reference.json (R 4.2.2 ships no JSON
# reader, hence the text format). Each input line is
#
#     kind;id;params;vector1;vector2
#
# with space-separated numbers; each output line is "id;v1 v2 ...", every
# value printed with %.17g.
args <- commandArgs(trailingOnly = TRUE)
lines <- readLines(args[1])
num <- function(s) if (nchar(s) == 0) numeric(0) else as.numeric(strsplit(s, " ")[[1]])
out <- character(length(lines))
for (i in seq_along(lines)) {
  f <- strsplit(lines[i], ";", fixed = TRUE)[[1]]
  f <- c(f, rep("", 5 - length(f)))
  kind <- f[1]; id <- f[2]; pr <- strsplit(f[3], " ")[[1]]
  a <- num(f[4]); b <- num(f[5])
  v <- switch(kind,
    welch = {
      r <- t.test(a, b, var.equal = FALSE, alternative = pr[1], conf.level = as.numeric(pr[2]))
      c(r$statistic, r$parameter, r$p.value, r$conf.int[1], r$conf.int[2])
    },
    ks = {
      r <- suppressWarnings(ks.test(a, b, alternative = pr[1], exact = as.logical(pr[2])))
      c(r$statistic, r$p.value)
    },
    prop = {
      x <- as.numeric(pr)
      m <- matrix(c(x[1], x[2] - x[1], x[3], x[4] - x[3]), 2, byrow = TRUE)
      p0 <- suppressWarnings(prop.test(c(x[1], x[3]), c(x[2], x[4]), correct = FALSE))
      p1 <- suppressWarnings(prop.test(c(x[1], x[3]), c(x[2], x[4]), correct = TRUE))
      c(fisher.test(m)$p.value, fisher.test(m, alternative = "greater")$p.value,
        p0$statistic, p0$p.value, p1$statistic, p1$p.value)
    },
    adjust = p.adjust(a, method = pr[1]),
    bayes = {
      x <- as.numeric(pr); ac <- x[1]; bc <- x[2]; ab <- x[3]; bb <- x[4]
      closed <- NaN
      if (ac == round(ac)) {
        j <- 0:(ac - 1)
        closed <- sum(exp(lbeta(ab + j, bb + bc) - log(bc + j) - lbeta(1 + j, bc) - lbeta(ab, bb)))
      }
      lo <- qbeta(1e-16, ac, bc); hi <- qbeta(1e-16, ac, bc, lower.tail = FALSE)
      integ <- integrate(function(p) dbeta(p, ac, bc) * pbeta(p, ab, bb), lo, hi,
                         rel.tol = 1e-12, subdivisions = 5000L)$value
      c(closed, integ)
    },
    srm = {
      r <- chisq.test(a, p = b, rescale.p = TRUE)
      c(r$statistic, r$p.value)
    },
    stop("unknown kind ", kind))
  out[i] <- paste0(id, ";", paste(sprintf("%.17g", as.numeric(v)), collapse = " "))
}
writeLines(out, args[2])
