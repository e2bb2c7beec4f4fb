def test_it_lists_the_customers_it_was_given(api, sample):
    assert api.put("/customers/K-1001", sample["customer"]).status_code == 201
    response = api.get("/customers")
    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["items"]] == ["K-1001"]


def test_every_api_answer_is_not_stored_by_caches(api, anonymous, sample):
    """api-v1.md: answers carry Cache-Control: no-store, refusals and 401s too (a token is not a
    session, so the signed-in rule of the pages does not cover the API)."""
    answers = [
        api.put("/customers/K-1001", sample["customer"]),
        api.get("/customers"),
        api.get("/customers/K-404"),
        api.put("/customers/K-1002", {"kind": "person"}),
        anonymous.get("/customers"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 404, 422, 401]
    assert all(a["Cache-Control"] == "no-store" for a in answers)
