"""An OpenRouter-shaped local API on the fault server: N models, each with two endpoints."""

from __future__ import annotations

import json

from tests.faults import FaultServer, Step


def models_body(n: int, price: str = "0.000001") -> dict:
    return {
        "data": [
            {
                "id": f"lab/model-{i}",
                "canonical_slug": f"lab/model-{i}",
                "hugging_face_id": f"lab/Model-{i}",
                "name": f"Lab: Model {i}",
                "context_length": 32768,
                "pricing": {"prompt": price, "completion": "0.000004"},
                "top_provider": {"context_length": 32768, "max_completion_tokens": 8192, "is_moderated": False},
            }
            for i in range(n)
        ]
    }


def endpoints_body(model_id: str, price: str = "0.0000012") -> dict:
    return {
        "data": {
            "id": model_id,
            "endpoints": [
                {
                    "name": f"{host} | {model_id}",
                    "model_id": model_id,
                    "context_length": 32768,
                    "pricing": {"prompt": price, "completion": "0.000005"},
                    "provider_name": host.title(),
                    "tag": host,
                    "quantization": "fp8",
                    "status": 0,
                    "uptime_last_30m": 99.5,
                }
                for host in ("hosta", "hostb")
            ],
        }
    }


def serve(server: FaultServer, n_models: int, *, delay: float = 0.0, price: str = "0.000001") -> None:
    server.script("/api/v1/models", Step.json(models_body(n_models, price)))

    def route(request):
        parts = request.path.strip("/").split("/")
        if len(parts) == 6 and parts[:3] == ["api", "v1", "models"] and parts[5] == "endpoints":
            model_id = f"{parts[3]}/{parts[4]}"
            return Step(body=json.dumps(endpoints_body(model_id)), delay=delay)
        return None

    server.route(route)
