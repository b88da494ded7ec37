// Package web serves a tracker store as web pages: a read-only browser for
// runs, their curves and their sample images.
//
// NewHandler returns an http.Handler; ListenAndServe and Serve run it until
// a context ends. `ganbook ui` opens the store read-only and serves it on
// 127.0.0.1:8080. The pages are:
//
//	/                        the runs: status, name, start, duration, key parameters,
//	                         latest metrics; sortable; filtered with the tracker's
//	                         filter syntax (?filter=…, errors shown with their position);
//	                         checkboxes to compare 2 to 10 runs
//	/runs/ID                 one run: parameters, tags, reproducibility record, one chart
//	                         per metric, the sample grids with a step slider; a RUNNING
//	                         run's page polls /runs/ID/live.json and updates itself
//	/compare?run=ID&run=ID   parameters side by side (those that differ highlighted),
//	                         one chart per metric with every run overlaid, sample grids
//	                         side by side at a chosen step
//	/runs/ID/chart.svg?key=K, /compare/chart.svg?key=K&run=…   the charts
//	/runs/ID/image?key=K&step=N                                 one stored PNG
//
// # Charts
//
// Charts are drawn on the server as SVG with gonum.org/v1/plot rather than
// in the browser with a JavaScript chart library: the pages need no script
// dependency to vendor and keep up to date, they work offline (every asset
// is embedded with go:embed; nothing is fetched from another origin), a
// chart is an image that a test can request and inspect like any other
// response, and the same plotting library serves the rest of the project.
//
// A chart draws at most 1000 points a line (WithMaxPoints). It does not
// read the whole series: it asks the tracker for the series' envelope over
// as many ranges of steps (tracker.Store.MetricEnvelope: each range's
// first, last, smallest and largest points, served from rollups that the
// tracker keeps as it writes, a few thousand rows whatever the series'
// length) and downsamples the envelope's points with
// Largest-Triangle-Three-Buckets, which keeps the peaks and dips that
// striding would lose. The handler keeps the downsampled series in memory,
// keyed by the run's metric summary so that a new point invalidates them;
// a finished run's series are read once. Serve loads the series of the most
// recent runs in the background at start (WithPrewarm). NaN and ±Inf values
// cannot be drawn; the envelope counts them, and a chart says how many it
// left out.
//
// # Security
//
// The handler answers GET and HEAD only, and 405 to every other method:
// nothing can be changed through it. ListenAndServe listens on the loopback
// interface unless told otherwise, and on a loopback listener Serve rejects
// requests for other host names (DNS rebinding). Every string from the
// store is escaped by html/template (and, inside charts, by the SVG
// writer); a Content-Security-Policy allows only this server's own script
// and styles. Images are served by run id, key and step from the store's
// rows, never from a file path. An unknown run gives a 404 page.
package web
