package ringgan_test

import (
	"fmt"

	"github.com/ganbook/ganbook/tutorials/ringgan"
)

func ExampleRing_Coverage() {
	ring := ringgan.DefaultRing() // 8 modes, radius 2, σ = 0.05
	x, y := ring.Centre(2)        // (0, 2)
	samples := []float32{
		float32(x), float32(y), // on mode 2
		float32(x) + 0.1, float32(y), // 2σ away: still mode 2
		0, 0, // the origin: no mode
		2, 0.2, // 4σ from mode 0: no mode
	}
	c := ring.Coverage(samples)
	fmt.Println("per mode:", c.PerMode)
	fmt.Printf("high-quality: %d of %d; a mode needs %d; covered: %d\n", c.HighQuality, c.Total, c.MinPerMode, c.Covered)
	// Output:
	// per mode: [0 0 2 0 0 0 0 0]
	// high-quality: 2 of 4; a mode needs 1; covered: 1
}
