# R half of the reference vectors for cluster.go (ClusterCompare). Not run
# on its own: gen_cluster.py writes the cases to a plain-text file, runs
#
#     Rscript gen_cluster.R cases.txt results.txt
#
# and merges the results into cluster_reference.json. Each input line is
#
#     id;scale;var.equal;conf.level;canary values;baseline values
#
# with space-separated numbers; each output line is "id;t df p.two p.greater
# p.less ci.low ci.high", every value printed with %.17g. On the log scale
# the test runs on log values and the interval is exponentiated.
args <- commandArgs(trailingOnly = TRUE)
lines <- readLines(args[1])
num <- function(s) as.numeric(strsplit(s, " ")[[1]])
out <- character(length(lines))
for (i in seq_along(lines)) {
  f <- strsplit(lines[i], ";", fixed = TRUE)[[1]]
  a <- num(f[5]); b <- num(f[6])
  if (f[2] == "log") { a <- log(a); b <- log(b) }
  ve <- as.logical(f[3]); cl <- as.numeric(f[4])
  two <- t.test(a, b, var.equal = ve, conf.level = cl)
  gt <- t.test(a, b, var.equal = ve, alternative = "greater")
  lt <- t.test(a, b, var.equal = ve, alternative = "less")
  ci <- two$conf.int
  if (f[2] == "log") ci <- exp(ci)
  v <- c(two$statistic, two$parameter, two$p.value, gt$p.value, lt$p.value, ci[1], ci[2])
  out[i] <- paste0(f[1], ";", paste(sprintf("%.17g", v), collapse = " "))
}
writeLines(out, args[2])
