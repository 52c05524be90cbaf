"""Runs one conformance case through Jentic's arazzo-runner (PyPI `arazzo-runner`).

Written to the cache directory by `conformance-run --engine jentic`; not meant
to be run by hand. Usage:

    python3 jentic_driver.py SPEC.json RESULT.json   # run a case
    python3 jentic_driver.py --version               # print the package version

SPEC.json: {"document": path, "workflows": [ids], "inputs": {...},
            "credentials": {scheme: value or {field: value}}}
RESULT.json: {"rejected": null or why,
              "workflows": [{"workflowId", "requested", "status", "outputs", "trace", "error"}]}

The runner's own public API does the work: ArazzoRunner.from_arazzo_path and
execute_workflow. Its event callbacks record each workflow execution's steps;
a wrapper around execute_next_step notices retries, so a retried step's next
execution is recorded as `step#N`. Credentials go through the environment
variables the runner derives from the description's security schemes.
"""

import json
import logging
import os
import sys
import traceback


def version():
    from importlib.metadata import version as v

    print(v("arazzo-runner"))


def set_credentials(runner, credentials):
    """Sets the environment variables the runner reads each scheme's credentials from."""
    from arazzo_runner import ArazzoRunner

    mappings = ArazzoRunner.generate_env_mappings(
        arazzo_docs=[runner.arazzo_doc], source_descriptions=runner.source_descriptions
    ).get("auth", {})

    def scheme_maps(m):
        # Flat {scheme: {key: VAR}} or nested {source: {scheme: {key: VAR}}}.
        for k, v in m.items():
            if not isinstance(v, dict):
                continue
            if all(isinstance(x, str) for x in v.values()):
                yield k, v
            else:
                yield from scheme_maps(v)

    for full_name, keys in scheme_maps(mappings):
        scheme = full_name.split(".")[0]
        if scheme not in credentials:
            continue
        value = credentials[scheme]
        fields = {}
        if isinstance(value, dict):
            fields = {k: str(x) for k, x in value.items()}
        else:
            value = str(value)
            if "username" in keys and ":" in value:
                user, _, password = value.partition(":")
                fields = {"username": user, "password": password}
            else:
                for k in ("apiKey", "token", "auth_value"):
                    fields[k] = value
        for key, var in keys.items():
            if key in fields:
                os.environ[var] = fields[key]


def run(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    result = {"rejected": None, "workflows": []}

    def write():
        with open(out_path, "w") as f:
            json.dump(result, f, default=str)

    try:
        from arazzo_runner import ArazzoRunner, WorkflowExecutionStatus
    except Exception as e:  # noqa: BLE001
        result["rejected"] = f"cannot import arazzo_runner: {e}"
        write()
        return
    try:
        runner = ArazzoRunner.from_arazzo_path(spec["document"])
    except Exception as e:  # noqa: BLE001
        result["rejected"] = f"{type(e).__name__}: {e}"
        write()
        return
    if spec.get("credentials"):
        try:
            set_credentials(runner, spec["credentials"])
        except Exception as e:  # noqa: BLE001
            result["rejected"] = f"cannot set credentials: {type(e).__name__}: {e}"
            write()
            return

    executions = {}  # execution_id -> record
    order = []
    pending_retry = {}  # execution_id -> step_id whose next execution is a retry
    attempts = {}  # (execution_id, step_id) -> attempt

    def on_workflow_start(execution_id, workflow_id, inputs=None, **_):
        executions[execution_id] = {
            "workflowId": workflow_id,
            "requested": False,
            "status": None,
            "outputs": None,
            "trace": [],
            "error": None,
        }
        order.append(execution_id)

    def on_step_start(execution_id, workflow_id, step_id, **_):
        rec = executions.get(execution_id)
        if rec is None:
            return
        if pending_retry.pop(execution_id, None) == step_id:
            n = attempts.get((execution_id, step_id), 1) + 1
        else:
            n = 1
        attempts[(execution_id, step_id)] = n
        rec["trace"].append(step_id if n == 1 else f"{step_id}#{n}")

    def on_workflow_complete(execution_id, workflow_id, outputs=None, **_):
        rec = executions.get(execution_id)
        if rec is not None:
            rec["status"] = "succeeded"
            rec["outputs"] = outputs

    def on_workflow_error(execution_id, workflow_id, error=None, outputs=None, **_):
        rec = executions.get(execution_id)
        if rec is not None:
            rec["status"] = "failed"
            rec["error"] = error

    runner.register_callback("workflow_start", on_workflow_start)
    runner.register_callback("step_start", on_step_start)
    runner.register_callback("workflow_complete", on_workflow_complete)
    runner.event_callbacks.setdefault("workflow_error", []).append(on_workflow_error)

    original_next = runner.execute_next_step

    def execute_next_step(execution_id):
        res = original_next(execution_id)
        if isinstance(res, dict) and res.get("status") == WorkflowExecutionStatus.RETRY:
            pending_retry[execution_id] = res.get("step_id")
        return res

    runner.execute_next_step = execute_next_step

    # The execution a requested workflow gets is the one its outermost start_workflow returns.
    original_start = runner.start_workflow
    depth = [0]
    top = {"capture": False, "id": None}

    def start_workflow(*args, **kwargs):
        depth[0] += 1
        try:
            execution_id = original_start(*args, **kwargs)
        finally:
            depth[0] -= 1
        if top["capture"] and depth[0] == 0:
            top["id"] = execution_id
            top["capture"] = False
        return execution_id

    runner.start_workflow = start_workflow

    inputs = spec.get("inputs") or {}
    for workflow_id in spec["workflows"]:
        top["capture"], top["id"] = True, None
        status, outputs, error = "failed", None, None
        try:
            res = runner.execute_workflow(workflow_id, inputs)
            status = (
                "succeeded" if res.status == WorkflowExecutionStatus.WORKFLOW_COMPLETE else "failed"
            )
            outputs = res.outputs
            error = res.error
        except Exception as e:  # noqa: BLE001
            error = f"{type(e).__name__}: {e}"
        rec = executions.get(top["id"]) if top["id"] else None
        if rec is None:
            rec = {"workflowId": workflow_id, "trace": []}
            order.append(object())
            executions[order[-1]] = rec
        rec.update(
            {"requested": True, "status": status, "outputs": outputs, "error": error}
        )
        top["capture"] = False
    result["workflows"] = [executions[k] for k in order]
    write()


def main():
    logging.disable(logging.CRITICAL)
    sys.setrecursionlimit(10000)
    if sys.argv[1:] == ["--version"]:
        version()
        return
    try:
        run(sys.argv[1], sys.argv[2])
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(3)


if __name__ == "__main__":
    main()
