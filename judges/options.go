package judges

// Alternative is the alternative hypothesis of a test, in the canary's
// terms: "greater" means the canary is stochastically larger than the
// baseline (scipy's and R's alternative for x = canary, y = baseline).
type Alternative string

// Alternatives.
const (
	TwoSided Alternative = "two-sided"
	Greater  Alternative = "greater"
	Less     Alternative = "less"
)

// Valid reports whether a is a known alternative.
func (a Alternative) Valid() bool { return a == TwoSided || a == Greater || a == Less }

// Method chooses how a p-value is computed.
type Method string

// Methods. Auto picks exact or asymptotic as documented per test.
const (
	MethodAuto  Method = "auto"
	MethodExact Method = "exact"
	// MethodAsymptotic is the normal approximation (with tie and continuity
	// corrections where the test has them).
	MethodAsymptotic Method = "asymptotic"
)
