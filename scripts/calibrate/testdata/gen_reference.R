# Reference values for the calibration tool's own statistics (stats.go),
# from R: the Hodges–Lehmann interval by the normal approximation
# (wilcox.test, exact = FALSE, correct = TRUE), the one-sided t-test
# (Welch, or pooled when a sample has one value) and the Wilson interval
# (prop.test without continuity correction). Writes reference.json:
#
#     cd scripts/calibrate/testdata && Rscript gen_reference.R
set.seed(20261203)
f <- function(v) paste(sprintf("%.17g", v), collapse = ",")
cases <- character(0)

hl <- list(
  list(x = c(10, 20, 30, 40), y = c(1, 2, 3, 4)),
  list(x = rlnorm(30, log(0.1), 0.5), y = rlnorm(40, log(0.1), 0.5)),
  list(x = round(rnorm(60, 1.05, 0.2), 1), y = round(rnorm(55, 1, 0.2), 1)),
  list(x = rpois(80, 1) / 60, y = rpois(90, 1) / 60)
)
for (c in hl) {
  r <- suppressWarnings(wilcox.test(c$x, c$y, conf.int = TRUE, exact = FALSE, correct = TRUE, conf.level = 0.98))
  cases <- c(cases, sprintf('{"kind":"hl","x":[%s],"y":[%s],"lo":%s,"hi":%s}',
    f(c$x), f(c$y), f(r$conf.int[1]), f(r$conf.int[2])))
}

tt <- list(
  list(x = c(1, 2, 3, 4, 5), y = c(2, 4, 6, 8, 10)),
  list(x = rnorm(10, 0.3, 1), y = rnorm(10, 0, 2)),
  list(x = rnorm(3, 0.1, 0.05), y = rnorm(7, 0, 0.02)),
  list(x = c(0.4), y = rnorm(3, 0, 0.1))
)
for (c in tt) {
  eq <- length(c$x) == 1 || length(c$y) == 1
  r <- t.test(c$x, c$y, alternative = "greater", var.equal = eq)
  cases <- c(cases, sprintf('{"kind":"t","x":[%s],"y":[%s],"p":%s}', f(c$x), f(c$y), f(r$p.value)))
}

for (k in list(c(0, 10), c(5, 10), c(1, 500), c(23, 100), c(100, 100))) {
  r <- prop.test(k[1], k[2], correct = FALSE)
  cases <- c(cases, sprintf('{"kind":"wilson","k":%d,"n":%d,"lo":%s,"hi":%s}', k[1], k[2], f(r$conf.int[1]), f(r$conf.int[2])))
}
writeLines(c("[", paste(cases, collapse = ",\n"), "]"), "reference.json")
