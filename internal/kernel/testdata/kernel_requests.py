"""Sends requests to a Jupyter kernel through its messaging protocol (jupyter_client) and
prints the replies as JSON: the test of completion and inspection in internal/kernel runs it
with the pinned JupyterLab venv's Python.

Reads from stdin {"kernel": NAME, "execute": [CODE...], "complete": [{"code", "cursor_pos"}...],
"inspect": [{"code", "cursor_pos"}...]}; writes {"execute": [{"status", "outputs"}...],
"complete": [REPLY CONTENT...], "inspect": [REPLY CONTENT...]}.
"""
import json
import sys

from jupyter_client.manager import start_new_kernel


def shell_reply(kc, msg_id, timeout):
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def main():
    req = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name=req["kernel"], startup_timeout=180)
    out = {"execute": [], "complete": [], "inspect": []}
    try:
        for code in req.get("execute", []):
            outputs = []

            def hook(msg):
                if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                    outputs.append(msg["content"])

            reply = kc.execute_interactive(code, timeout=600, output_hook=hook)
            out["execute"].append({"status": reply["content"]["status"], "outputs": outputs})
        for r in req.get("complete", []):
            out["complete"].append(shell_reply(kc, kc.complete(r["code"], r["cursor_pos"]), 300))
        for r in req.get("inspect", []):
            out["inspect"].append(shell_reply(kc, kc.inspect(r["code"], r["cursor_pos"], 0), 300))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
