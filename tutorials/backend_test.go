package tutorials

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
)

// The GoMLX backend and the MNIST training set, shared by the tutorials' tests (04–07) and
// created on first use. The backend is the pure-Go one whatever $GOMLX_BACKEND says or which
// XLA plugin is installed: the tutorials' figures were computed on it, as the notebooks run by
// scripts/run-notebooks.sh compute them, and XLA rounds differently.
var (
	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error

	mnistOnce sync.Once
	mnistVal  *data.Dataset
	mnistErr  error
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backendVal, backendErr = gan.NewGoBackend() })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backendVal
}

// mnist returns the MNIST training set scaled for the MLP models ([0, 1]).
func mnist(t *testing.T) *data.Dataset {
	t.Helper()
	mnistOnce.Do(func() { mnistVal, mnistErr = gan.LoadTrainingSet(gan.DefaultConfig(), "") })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistVal
}
