"""Issue 14, points 2 and 7: the widget's presentation parts, read back from the plain answer text."""

from __future__ import annotations

from api.answer_parts import quote_cells, text_parts, with_parts
from bot.answer import Answer, Source

ONE_TASK = ("[Hà Tĩnh, 2024] Sở Thông tin và Truyền thông chủ trì nhiệm vụ “Tổ chức cuộc thi tìm hiểu CCHC” "
            "(Phụ lục, mục 4). Sản phẩm: Cuộc thi trên Cổng TTĐT. Phối hợp: Sở Nội vụ, các sở. "
            "Thời gian: Quý II-III/2024.\nNguồn: Kế hoạch … (Hà Tĩnh, 2024), Phụ lục, mục 4")
THREE = ("• [Hà Tĩnh, 2024] Sở Nội vụ chủ trì nhiệm vụ “A” (Phụ lục, mục 1). Kinh phí: 5.000.000 đồng.\n"
         "• [Hà Tĩnh, 2024] Sở Tư pháp chủ trì nhiệm vụ “B” (Phụ lục, mục 2). Thời gian: Năm 2024.\n"
         "• [Kiên Giang, 2024] Sở Nội vụ chủ trì nhiệm vụ “C” (Phụ lục, mục 3).\n"
         "Lưu ý: từ 01/7/2025, tỉnh Kiên Giang đã sáp nhập vào tỉnh An Giang.")


def test_one_task_becomes_a_lead_and_labelled_lines_without_the_citation_line() -> None:
    parts = text_parts(ONE_TASK)
    assert parts[0] == {"type": "plan", "text": "Hà Tĩnh, 2024"}
    assert parts[1]["type"] == "lead" and parts[1]["text"].endswith("(Phụ lục, mục 4).")
    assert parts[2] == {"type": "fields", "fields": [
        {"label": "Sản phẩm", "value": "Cuộc thi trên Cổng TTĐT"},
        {"label": "Phối hợp", "value": "Sở Nội vụ, các sở"},
        {"label": "Thời gian", "value": "Quý II-III/2024"}]}
    assert not any("Nguồn" in str(p) for p in parts)


def test_a_list_gets_a_short_lead_and_each_plan_tag_once() -> None:
    parts = text_parts(THREE)
    assert parts[0]["type"] == "lead" and "3" in parts[0]["text"]
    assert [p["text"] for p in parts if p["type"] == "plan"] == ["Hà Tĩnh, 2024", "Kiên Giang, 2024"]
    items = [p for p in parts if p["type"] == "item"]
    assert len(items) == 3 and all("[" not in p["text"] for p in items)
    assert items[0]["fields"] == [{"label": "Kinh phí", "value": "5.000.000 đồng"}]
    assert parts[-1]["type"] == "note"


def test_a_long_refusal_keeps_a_one_sentence_lead() -> None:
    text = ("Xin lỗi, câu hỏi này nằm ngoài nội dung các kế hoạch tôi đang có. Tôi trả lời về các kế hoạch thông tin, "
            "tuyên truyền cải cách hành chính của các tỉnh: cơ quan chủ trì, cơ quan phối hợp, thời gian, kinh phí.\n"
            "Ví dụ:\n- Câu một?\n- Câu hai?")
    parts = text_parts(text)
    assert parts[0] == {"type": "lead", "text": "Xin lỗi, câu hỏi này nằm ngoài nội dung các kế hoạch tôi đang có."}
    assert [p["text"] for p in parts if p["type"] == "item"] == ["Câu một?", "Câu hai?"]


def test_quote_cells_come_from_the_appendix_row(api_runtime) -> None:
    k = api_runtime.assistant.k
    ans = api_runtime.assistant.answer("Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?")
    cells = quote_cells(ans.sources, k.plans.values())
    assert cells and cells[0]["source"] == 0
    labels = {f["label"]: f["value"] for f in cells[0]["fields"]}
    assert labels["Chủ trì"] == "Sở Thông tin và Truyền thông" and "Quý II-III/2024" in labels["Thời gian"]


def test_with_parts_keeps_the_answer_text_and_fills_parts_only_once() -> None:
    ans = Answer(answer=ONE_TASK, found=True, sources=[Source(document="KH", section="Phụ lục, mục 4")])
    rich = with_parts(ans)
    assert rich.answer == ans.answer and rich.parts
    assert with_parts(rich.model_copy(update={"parts": [{"type": "lead", "text": "x"}]})).parts == [
        {"type": "lead", "text": "x"}]
    assert "parts" not in ans.model_dump(mode="json")  # absent unless set: the JSON contract is unchanged


def test_parts_are_opt_in_so_the_answer_contract_is_unchanged(api_client) -> None:
    q = {"message": "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?"}
    plain = api_client.post("/v1/chat", json=q).json()
    rich = api_client.post("/v1/chat?parts=1", json=q).json()
    assert "parts" not in plain and rich["parts"] and rich["answer"] == plain["answer"]
    stream = api_client.post("/v1/chat/stream?parts=1", json=q).text
    assert '"parts"' in stream and '"type": "quote"' in stream
    assert '"parts"' not in api_client.post("/v1/chat/stream", json=q).text
