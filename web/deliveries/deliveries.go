package deliveries

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Store is what the deliveries API reads and changes. Unknown experiments
// and deliveries are errors wrapping analysis.ErrNotFound; retrying a
// delivery that is not dead-lettered wraps analysis.ErrNotDead.
type Store interface {
	GetExperiment(ctx context.Context, id string) (analysis.ExperimentRecord, error)
	// ListDeliveries returns an experiment's deliveries, newest first,
	// each with its History.
	ListDeliveries(ctx context.Context, experimentID string) ([]analysis.OutboxDelivery, error)
	// GetDelivery returns one delivery with its History.
	GetDelivery(ctx context.Context, id string) (analysis.OutboxDelivery, error)
	// RetryDelivery makes a dead delivery pending again, due at now.
	RetryDelivery(ctx context.Context, id string, now time.Time) (analysis.OutboxDelivery, error)
}

// Waker is the delivery loop: Wake makes it look for due deliveries now.
type Waker interface {
	Wake()
}

// Prefix is the path every route starts with.
const Prefix = "/api/v1"

// Register mounts the deliveries API on r. w (nil: none) is woken after a
// retry; logger (nil: discard) gets the internal errors that clients are
// answered only an error ID for.
func Register(r gin.IRouter, st Store, w Waker, logger *slog.Logger) {
	register(r, &api{st: st, w: w, logger: logger, now: time.Now})
}

func register(r gin.IRouter, a *api) {
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	// The wildcard is :id, as on every other /experiments/:id route: gin
	// refuses two names for one path segment.
	r.GET(Prefix+"/experiments/:id/deliveries", a.list)
	r.POST(Prefix+"/experiments/:id/deliveries/:delivery/retry", a.retry)
}

type api struct {
	st     Store
	w      Waker
	logger *slog.Logger
	now    func() time.Time
}

// List is the answer of GET /experiments/:id/deliveries.
type List struct {
	Deliveries []analysis.OutboxDelivery `json:"deliveries"`
}

// apiError is every error answer, in the shape the rest of the API uses.
type apiError struct {
	Error string `json:"error"`
}

func (a *api) list(c *gin.Context) {
	id := c.Param("id")
	status := analysis.DeliveryStatus(c.Query("status"))
	switch status {
	case "", analysis.DeliveryPending, analysis.DeliveryDelivered, analysis.DeliveryDead:
	default:
		c.JSON(http.StatusBadRequest, apiError{Error: fmt.Sprintf("query parameter status: want pending, delivered or dead, got %q", status)})
		return
	}
	receiver := c.Query("receiver")
	ctx := c.Request.Context()
	if _, err := a.st.GetExperiment(ctx, id); err != nil {
		a.fail(c, err, "experiment "+id)
		return
	}
	all, err := a.st.ListDeliveries(ctx, id)
	if err != nil {
		a.fail(c, err, "experiment "+id)
		return
	}
	out := List{Deliveries: make([]analysis.OutboxDelivery, 0, len(all))}
	for _, d := range all {
		if (status == "" || d.Status == status) && (receiver == "" || d.Receiver == receiver) {
			out.Deliveries = append(out.Deliveries, d)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) retry(c *gin.Context) {
	expID, id := c.Param("id"), c.Param("delivery")
	ctx := c.Request.Context()
	what := "delivery " + id + " of experiment " + expID
	d, err := a.st.GetDelivery(ctx, id)
	if err == nil && d.ExperimentID != expID {
		// Another experiment's delivery is not found here: the path names
		// the experiment it must belong to.
		err = analysis.ErrNotFound
	}
	if err != nil {
		a.fail(c, err, what)
		return
	}
	if d.Status != analysis.DeliveryDead {
		a.notDead(c, id, d.Status)
		return
	}
	d, err = a.st.RetryDelivery(ctx, id, a.now())
	if errors.Is(err, analysis.ErrNotDead) {
		// Sent or retried meanwhile: say what it is now.
		cur, gerr := a.st.GetDelivery(ctx, id)
		if gerr != nil {
			a.fail(c, gerr, what)
			return
		}
		a.notDead(c, id, cur.Status)
		return
	}
	if err != nil {
		a.fail(c, err, what)
		return
	}
	if a.w != nil {
		a.w.Wake()
	}
	c.JSON(http.StatusOK, d)
}

func (a *api) notDead(c *gin.Context, id string, s analysis.DeliveryStatus) {
	c.JSON(http.StatusConflict, apiError{Error: fmt.Sprintf("delivery %s is %s, not dead-lettered: only a dead letter can be retried", id, s)})
}

// fail answers 404 for analysis.ErrNotFound and 500 with an error ID for
// anything else; the error itself (SQL, a driver's text) is logged under
// that ID and never sent.
func (a *api) fail(c *gin.Context, err error, what string) {
	if errors.Is(err, analysis.ErrNotFound) {
		c.JSON(http.StatusNotFound, apiError{Error: what + " not found"})
		return
	}
	_ = c.Error(err)
	var b [6]byte
	_, _ = rand.Read(b[:])
	errID := hex.EncodeToString(b[:])
	a.logger.Error("deliveries request failed", "error_id", errID, "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	c.JSON(http.StatusInternalServerError, apiError{Error: fmt.Sprintf("internal error %s: the request failed; the server log has the details under this ID", errID)})
}
