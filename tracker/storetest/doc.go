// Package storetest is the contract every tracker backend keeps, written
// once as a test suite: NaN, ±Inf and −0 stored exactly, heartbeats and
// KILLED runs, the filter language, ordering, run id prefixes, envelopes,
// images, tags, reproducibility records, run links, read-only and
// must-exist opening, and several processes logging at once.
//
// A backend's tests run it against a fresh database per test:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, storetest.Target{NewDatabase: func(t *testing.T) string {
//			return filepath.Join(t.TempDir(), "runs.db")
//		}})
//	}
package storetest
