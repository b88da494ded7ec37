"""Reads back, with MLflow's own client, everything an MLflow server holds
about every run of every experiment, and prints it as JSON: the independent
side of ganbook's sync test. Metric values are written as Python's repr of
the float ("nan", "1.7976931348623157e+308"), which JSON can carry."""
import hashlib
import json
import os
import sys
import tempfile

import mlflow
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient


def artifacts(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.extend(artifacts(client, run_id, f.path))
        else:
            out.append(f.path)
    return out


def main():
    mlflow.set_tracking_uri(sys.argv[1])  # mlflow-artifacts: URIs resolve against it
    client = MlflowClient(tracking_uri=sys.argv[1])
    runs = []
    for exp in client.search_experiments(view_type=ViewType.ALL):
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            metrics = {}
            for key in run.data.metrics:
                metrics[key] = [
                    {"step": m.step, "timestamp": m.timestamp, "value": repr(float(m.value))}
                    for m in client.get_metric_history(run.info.run_id, key)
                ]
            files = {}
            with tempfile.TemporaryDirectory() as tmp:
                for path in artifacts(client, run.info.run_id):
                    local = client.download_artifacts(run.info.run_id, path, tmp)
                    with open(local, "rb") as f:
                        data = f.read()
                    files[path] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    if path.endswith(".json"):
                        files[path]["text"] = data.decode()
            runs.append({
                "experiment": exp.name,
                "experiment_stage": exp.lifecycle_stage,
                "run_id": run.info.run_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
                "start_time": run.info.start_time,
                "end_time": run.info.end_time,
                "lifecycle_stage": run.info.lifecycle_stage,
                "params": run.data.params,
                "tags": run.data.tags,
                "metrics": metrics,
                "artifacts": files,
            })
    json.dump(runs, sys.stdout)


if __name__ == "__main__":
    main()
