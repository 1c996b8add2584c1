def test_hanoi_founding_date_is_cited(seed_assistant):
    answer = seed_assistant.ask("Sở Ngoại vụ Hà Nội được thành lập khi nào?")
    assert not answer.refused
    assert "17/12/1996" in answer.text
    assert answer.citations[0].doc_id == "004_ce329a74134a4137"
    assert "17/12/1996" in answer.citations[0].quote
