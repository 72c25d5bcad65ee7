# R half of the reference vectors for cluster.go (ClusterCompare) and
# cluster_worst.go (WorstCluster). Not run on its own: gen_cluster.py
# writes the cases to a plain-text file, runs
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
#
# Lines whose id starts with "w" are WorstCluster cases,
#
#     id;scale;direction;alpha;canary values;baseline values
#
# answered with "id;index t df p limit": the prediction t of every canary
# value against the baseline, (x - mean(y))/(sd(y)*sqrt(1 + 1/m)) with
# m - 1 df (pt), the worst one (index, 0-based), its Bonferroni-adjusted
# p and the prediction bound at level alpha/n (qt), on the value scale.
args <- commandArgs(trailingOnly = TRUE)
lines <- readLines(args[1])
num <- function(s) as.numeric(strsplit(s, " ")[[1]])
worst <- function(a, b, dir, alpha, scale) {
  n <- length(a); m <- length(b)
  se <- sd(b) * sqrt(1 + 1/m); tt <- (a - mean(b)) / se
  p1 <- switch(dir, increase = pt(tt, m - 1, lower.tail = FALSE),
               decrease = pt(tt, m - 1),
               either = 2 * pt(abs(tt), m - 1, lower.tail = FALSE))
  k <- which.min(p1)
  side <- if (dir == "decrease" || (dir == "either" && tt[k] < 0)) -1 else 1
  tail <- if (dir == "either") alpha / (2 * n) else alpha / n
  lim <- mean(b) + side * qt(1 - tail, m - 1) * se
  if (scale == "log") lim <- exp(lim)
  c(k - 1, tt[k], m - 1, min(1, n * p1[k]), lim)
}
out <- character(length(lines))
for (i in seq_along(lines)) {
  f <- strsplit(lines[i], ";", fixed = TRUE)[[1]]
  a <- num(f[5]); b <- num(f[6])
  if (f[2] == "log") { a <- log(a); b <- log(b) }
  if (substr(f[1], 1, 1) == "w") {
    v <- worst(a, b, f[3], as.numeric(f[4]), f[2])
  } else {
    ve <- as.logical(f[3]); cl <- as.numeric(f[4])
    two <- t.test(a, b, var.equal = ve, conf.level = cl)
    gt <- t.test(a, b, var.equal = ve, alternative = "greater")
    lt <- t.test(a, b, var.equal = ve, alternative = "less")
    ci <- two$conf.int
    if (f[2] == "log") ci <- exp(ci)
    v <- c(two$statistic, two$parameter, two$p.value, gt$p.value, lt$p.value, ci[1], ci[2])
  }
  out[i] <- paste0(f[1], ";", paste(sprintf("%.17g", v), collapse = " "))
}
writeLines(out, args[2])
