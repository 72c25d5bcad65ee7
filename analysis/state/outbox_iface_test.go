package state_test

import (
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/analysis/state"
)

// The delivery engine's store is this one; the check lives in a test so
// that the state package does not import alerting.
var _ outbox.Store = (*state.Store)(nil)
