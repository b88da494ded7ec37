package vecmath_test

import (
	"fmt"

	"github.com/ganbook/ganbook/internal/vecmath"
)

func ExampleSigmoid() {
	x := []float32{-4, 0, 1, 4}
	vecmath.Sigmoid(x, x) // in place
	fmt.Printf("%.5f\n", x)
	// Output:
	// [0.01799 0.50000 0.73106 0.98201]
}
