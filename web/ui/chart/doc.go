// Package chart draws augur's report charts as SVG: pure functions from
// data to markup, with axes, a legend and a <title> per series. Every
// label is XML-escaped, so names, queries and messages taken from specs
// and data cannot break out of the drawing.
//
// Each plot area carries its scale as data attributes (data-x-domain,
// data-y-domain and data-px: the pixel box), so that tests and scripts
// can map the drawn points back to the values they stand for.
package chart
