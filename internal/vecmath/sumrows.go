package vecmath

import "fmt"

// SumRows sets row r of out (n values, rows back to back) to +0 plus the rows
// of src (n values each) numbered rows[starts[r]:starts[r+1]], added in that
// order and rounded as Go's float32 addition rounds (+0 + −0 is +0). A row
// with no source is +0. It panics if out, starts or an index is out of range.
func SumRows(out, src []float32, n int, starts, rows []int32) {
	if len(starts) == 0 || len(out) < (len(starts)-1)*n {
		panic(fmt.Sprintf("vecmath.SumRows: %d starts for rows of %d in %d values", len(starts), n, len(out)))
	}
	done := 0
	if HasSIMD {
		done = sumRowsSIMD(out, src, n, starts, rows)
		leaveSIMD()
	}
	for r := range len(starts) - 1 {
		dst := out[r*n : (r+1)*n]
		for q := done; q < n; q++ {
			var sum float32
			for _, j := range rows[starts[r]:starts[r+1]] {
				sum += src[int(j)*n+q]
			}
			dst[q] = sum
		}
	}
}
