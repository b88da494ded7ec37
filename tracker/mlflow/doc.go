// Package mlflow mirrors tracker runs into an MLflow tracking server through
// MLflow's REST API (version 2.x): params, every metric point with its step
// and time, tags, the reproducibility record, sample images as artifacts,
// and the run's status and times.
//
// A Client speaks the REST API; a Syncer copies runs with it. Copies are
// idempotent: each MLflow run carries the tag ganbook.source_run_id from
// its creation, and the tag ganbook.run_id, set last, marks a run whose
// copy completed. A run that was still RUNNING is brought up to date by
// the next sync, which sends only what MLflow does not have yet.
//
// Artifacts travel through the server's artifact proxy (mlflow server
// --serve-artifacts, the default since MLflow 2.0), so a Syncer needs no
// access to the artifact store itself.
package mlflow
