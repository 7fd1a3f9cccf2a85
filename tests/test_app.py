"""The app shell: liveness, request ids and the one error envelope."""

from __future__ import annotations

from tests.contract import assert_contract, assert_error


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert_contract(response)


def test_unknown_api_path_is_a_json_404(client):
    assert_error(client.get("/api/x"), 404, "not_found")


def test_unknown_public_path_is_a_json_404(client):
    assert_error(client.get("/public/nothing/here"), 404, "not_found")


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.post("/healthz")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_a_500_envelope_without_traceback(make_app):
    app = make_app()

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/boom", headers={"X-Request-ID": "req-123"})
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {"request_id": "req-123"}
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_request_id_is_generated_or_honoured(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers[
        "X-Request-ID"
    ] == "abc-1"
    insane = client.get("/healthz", headers={"X-Request-ID": "bad id;" * 20})
    assert len(insane.headers["X-Request-ID"]) == 32
