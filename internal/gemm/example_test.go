package gemm_test

import (
	"fmt"

	"github.com/ganbook/ganbook/internal/gemm"
)

// C = A·B for A [2, 3] and B [3, 2], row-major; then A·Bᵀ with B given as
// [2, 3]; then Aᵀ·B with A given as [3, 2].
func ExampleMatMul() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c := make([]float32, 4)
	gemm.MatMul(false, false, a, b, 1, 2, 2, 3, c, 1)
	fmt.Println(c)
	gemm.MatMul(false, true, a, b, 1, 2, 2, 3, c, 1)
	fmt.Println(c)
	gemm.MatMul(true, false, a, b, 1, 2, 2, 3, c, 1)
	fmt.Println(c)
	// Output:
	// [58 64 139 154]
	// [50 68 122 167]
	// [89 98 116 128]
}
