def test_it_lists_the_customers_it_was_given(api, sample):
    assert api.put("/customers/K-1001", sample["customer"]).status_code == 201
    response = api.get("/customers")
    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["items"]] == ["K-1001"]
