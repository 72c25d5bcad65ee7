package ui

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// experimentsPage lists the experiments.
func (u *UI) experimentsPage(c *gin.Context) {
	u.r.render(c, http.StatusOK, "experiments", page{Title: "Experiments", Nav: "experiments"})
}
