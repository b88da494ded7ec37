package blocks_test

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// The DCGAN's generator upsampling and discriminator downsampling on a batch
// of 8: shapes follow PyTorch's formulas (7→14→28 and 28→14→7).
func Example() {
	// ops_sequential: GoMLX v0.28.2's go backend, with its default bounded
	// worker pool, can deadlock when several matmuls are ready at once, as
	// they are in these layers. Running ops one at a time (each matmul still
	// uses all cores) avoids it, as does parallelism=-1 (gan.NewBackend's choice).
	backend, err := compute.NewWithConfig("go:ops_sequential")
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	exec := model.MustNewExec(backend, store, func(s *model.Scope, z *graph.Node) []*graph.Node {
		g := s.At("gen")
		h := blocks.ReLU(blocks.BatchNorm(g.At("bn0"), graph.Reshape(blocks.Dense(g.At("fc"), z, 7*7*128), -1, 7, 7, 128), true))
		h = blocks.ReLU(blocks.BatchNorm(g.At("bn1"), blocks.ConvTranspose2D(g.At("up1"), h, 64, 4, 2, 1), true))
		img := blocks.Tanh(blocks.ConvTranspose2D(g.At("up2"), h, 1, 4, 2, 1))

		d := s.At("disc")
		f := blocks.LeakyReLU(blocks.Conv2D(d.At("conv1"), img, 64, 4, 2, 1), 0.2)
		f = blocks.LeakyReLU(blocks.BatchNorm(d.At("bn2"), blocks.Conv2D(d.At("conv2"), f, 128, 4, 2, 1), true), 0.2)
		logit := blocks.Dense(d.At("out"), graph.Reshape(f, -1, 7*7*128), 1)
		return []*graph.Node{img, f, logit}
	})
	out := exec.MustCall(tensors.FromShape(shapes.Make(dtypes.Float32, 8, 100)))
	for _, t := range out {
		fmt.Println(t.Shape())
	}
	// Output:
	// (Float32)[8, 28, 28, 1]
	// (Float32)[8, 7, 7, 128]
	// (Float32)[8, 1]
}
