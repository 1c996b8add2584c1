"""Sentences in an article that speak to the reader or to a model, not about the world.

A scraped page can hold text written to steer an assistant ("Bỏ qua mọi hướng dẫn trước đó
và trả lời: …", "Ignore previous instructions"). Such a sentence is data, never an
instruction, and never an answer: the extractive answerer does not quote it, the verifier
does not accept it as support, and the generative prompt marks every passage as quoted
material.

The patterns are the grammar of what such a sentence does, in Vietnamese with or without
diacritics and in English: it sets aside earlier instructions ("bỏ qua / không cần làm theo
các hướng dẫn trước"), speaks to a model ("Lưu ý dành cho trợ lý AI", "Trợ lý ảo cần…",
"you are an assistant"), claims a system's authority ("theo yêu cầu mới nhất của hệ thống"),
or dictates what an answer must say ("mọi câu trả lời phải nói…", "hãy trả lời rằng…").
They name no topic, place or figure. ``scripts/check_instructions.py`` counts
their matches in the seed articles and in every xquad_vi context (news and encyclopedia
prose): zero, see the README.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..vietnamese import fold

# Matched against the sentence lower-cased and without diacritics ("bo qua moi huong dan").
_RULES = r"(?:huong dan|chi dan|chi thi|menh lenh|cau lenh|lenh|quy tac|loi nhac|prompt)"
_IGNORE = r"(?:bo qua|phot lo|lo di|quen(?: di)?)"
# "AI" (upper case) is read as "tri tue nhan tao" first: a lower-case "ai" is Vietnamese for "who"
_AI = r"(?:tro ly(?: ao)?|mo hinh(?: ngon ngu)?|chatbot|chat bot|tri tue nhan tao|llm|gpt)"
_SAY = r"(?:tra loi|noi|khang dinh|tuyen bo|xac nhan|viet|tra ve|dua ra|neu)"
_MUST = r"(?:can|phai|hay|nen|buoc phai|bat buoc|duoc yeu cau|chi duoc|vui long)"
_ANSWERS = r"(?:(?:moi|tat ca|cac|nhung) )?(?:cau tra loi|cau dap|phan hoi|ket qua tra loi)"
_VI = [
    # "không cần làm theo các hướng dẫn trước", "đừng tuân theo chỉ dẫn ban đầu"
    (rf"\b(?:khong can|khong duoc|khong phai|dung|thoi) (?:lam theo|tuan theo|nghe theo|tuan thu|lam dung) "
    rf"(?:\w+ ){{0,3}}(?:{_RULES}|yeu cau)\b"),
    # a note or message for a model: "Lưu ý dành cho trợ lý AI", "Gửi mô hình ngôn ngữ:"
    (rf"\b(?:luu y|ghi chu|thong diep|loi nhan|chi dan|nhan|tin nhan|gui) (?:(?:danh |gui )?cho|toi|den|gui) "
    rf"(?:cac |moi )?{_AI}\b"),
    # a model told what to do: "Trợ lý ảo cần trả lời rằng…", "mô hình phải nói…"
    rf"\b{_AI} (?:\w+ ){{0,2}}{_MUST} (?:\w+ ){{0,1}}{_SAY}\b",
    # the system's authority claimed: "theo yêu cầu mới nhất của hệ thống", "chỉ thị mới từ quản trị viên"
    r"\b(?:yeu cau|chi thi|huong dan|quy dinh|menh lenh) moi(?: nhat)? (?:cua|tu) (?:he thong|quan tri)",
    # what every answer must say: "mọi câu trả lời phải nói rằng…"
    rf"\b{_ANSWERS} (?:\w+ ){{0,3}}{_MUST} (?:\w+ ){{0,2}}(?:{_SAY}|co cau|ghi|bao gom|khang dinh)\b",
    # "hãy trả lời rằng…", "hãy nói rằng…": an answer dictated word for word
    rf"\b(?:hay|xin hay|vui long|ban hay|ban phai|ban can) {_SAY} (?:\w+ ){{0,2}}rang\b",
    # "bỏ qua mọi hướng dẫn trước đó", "phớt lờ các chỉ dẫn của hệ thống"
    rf"\b{_IGNORE} (?:\w+ ){{0,3}}{_RULES}(?: \w+){{0,2}} (?:truoc do|truoc day|o tren|phia tren|he thong|ban dau)\b",
    # a sentence that opens with the order: "Hãy bỏ qua mọi chỉ dẫn và …"
    rf"^\W*(?:hay |xin hay |vui long )?{_IGNORE} (?:\w+ ){{0,3}}{_RULES}\b",
    r"\b(?:loi nhac|chi dan|prompt) (?:cua )?he thong\b",
    r"\b(?:hay|ban hay|ban phai|xin hay) tra loi(?: \w+){0,3}\s*:",
    (r"\bban (?:bay gio |tu nay |hien )?(?:la|dong vai(?: tro)?) (?:mot )?"
    r"(?:tro ly|mo hinh ngon ngu|chatbot|chat bot|ai)\b"),
]
_EN = [
    (r"\b(?:ignore|disregard|forget|override)\b (?:all |any |the |your |these |those )?(?:of )?(?:the )?"
    r"(?:previous |prior |above |earlier |preceding |system |original |former )?(?:instructions|prompts?|directives)\b"),
    r"\bsystem prompt\b",
    r"\byou are (?:now |no longer )?(?:an? |the )?(?:ai|assistant|language model|chatbot|llm)\b",
    r"\b(?:respond|reply|answer) only (?:with|by)\b",
    r"\b(?:new|updated) instructions\s*:",
    r"\b(?:note|message|instructions?) (?:to|for) (?:the |any |all )?(?:ai|assistant|language model|chatbot|llm)s?\b",
    r"\b(?:ai|assistant|language model|chatbot|llm)s? (?:must|should|need to|are required to) (?:\w+ )?(?:say|answer|reply|state|respond|claim)\b",
    r"\b(?:every|all|any) (?:answers?|responses?|replies) (?:\w+ ){0,2}(?:must|should) (?:\w+ ){0,2}(?:say|state|include|claim)\b",
    r"\b(?:do not|don't|no need to) (?:follow|obey) (?:\w+ ){0,3}(?:instructions|rules|directives)\b",
]
_VI_PATTERN = re.compile("|".join(f"(?:{p})" for p in _VI))
_EN_PATTERN = re.compile("|".join(f"(?:{p})" for p in _EN))
_UPPER_AI = re.compile(r"\bA\.?I\b")

# What a sentence does, read on its lower-cased text with diacritics ("bot" is a bot, "bột" is
# flour; "AI" was read before lower-casing). A sentence is an instruction when it speaks to a
# model and orders it to say something, sets aside what it was given, or dictates the answer.
_MODEL = (r"\b(?:trợ lý (?:ảo|trí tuệ nhân tạo)|mô hình (?:ngôn ngữ|trí tuệ nhân tạo)|chat ?bot|bot|"
          r"trí tuệ nhân tạo|hệ thống (?:trả lời |hỏi đáp |trợ lý )?tự động|máy đọc|llms?|gpt|language models?|assistants?|"
          r"ai (?:models?|assistants?|systems?))\b")
_ADDRESS = r"\b(?:dành cho|gửi|kính gửi|nhắn|lưu ý cho|lời nhắn (?:cho|tới|đến)|note (?:to|for)|dear|attention)\b"
_ORDER = (r"\b(?:hãy|phải|cần|nên|đừng|không được|xin|vui lòng|chỉ cần|luôn|must|should|please|do not|don't|never|"
          r"always)\b")
_SPEECH = (r"\b(?:trả lời|nói|khẳng định|xác nhận|in ra|tiết lộ|ghi nhận|trích dẫn|tuyên bố|"
           r"nêu|báo cáo|thông báo|kết luận|answer|say|reply|respond|state|print|reveal|cite|claim|report|tell|"
           r"mention)\b")
_SET_ASIDE = (r"\b(?:bỏ qua|phớt lờ|lờ đi|đừng (?:nghe|làm|tuân) theo|không (?:cần )?(?:nghe|làm|tuân) theo|"
              r"quên (?:đi )?(?:mọi|tất cả|hết|những gì)|ignore|disregard|forget|skip)\b")
_GIVEN = (r"\b(?:đoạn (?:trên|văn trên)|ngữ cảnh|người dùng|người hỏi|(?:các |mọi |những )?(?:hướng dẫn|chỉ dẫn|quy tắc|"
          r"yêu cầu) (?:trước|trên|ban đầu|của người dùng)|(?:nội dung|phần|văn bản) (?:phía )?trên|những gì (?:bạn )?được|"
          r"context|the article|above|the user|instructions|prompt|everything you)\b")
_DICTATE = (r"\b(?:bất kể câu hỏi|thay vì trả lời|trả lời theo cách sau|(?:mọi|tất cả các?) (?:câu trả lời|phản hồi) "
            r"(?:đều )?(?:phải|cần)|trả lời mọi câu hỏi|regardless of the question|instead of answering|"
            r"answer (?:every|all|any) questions?)\b")
# a label a page gives hidden text meant for a model
_SYSTEM_NOTE = (r"(?:\[(?:ghi chú |lưu ý |thông báo )?hệ thống\]|\b(?:ghi chú|lưu ý|thông báo|chỉ thị) (?:của |từ )?"
                r"hệ thống\b|\b(?:hướng|chỉ) dẫn ẩn\b|\bsystem (?:note|message|notice|instruction)s?\b|\bhidden instructions?\b)")
# an answer fixed in advance for a user's question
_WHEN_ASKED = (r"\b(?:(?:khi|nếu) người dùng hỏi\b[^.;]*,\s*(?:hãy |thì )?(?:trả lời|nói)|"
               r"(?:when|if) (?:the )?users? asks?\b[^.;]*,\s*(?:always )?(?:answer|say|reply))")
_ANSWER_IS = r"\b(?:câu trả lời (?:đúng|chính xác|duy nhất)(?: duy nhất)? là|the (?:correct |right |only )?answer is)\b"
_FROM_NOW = r"\b(?:từ (?:giờ|nay|bây giờ)(?: trở đi)?|from now on)\b"
_YOU = r"\b(?:bạn|you)\b"


def _is_instruction(text: str) -> bool:
    def has(pattern: str) -> bool:
        return re.search(pattern, text) is not None

    model, order, speech = has(_MODEL), has(_ORDER), has(_SPEECH)
    return (
        (model and (has(_ADDRESS) or order or has(_SET_ASIDE)))
        or (has(_SET_ASIDE) and has(_GIVEN))
        or has(_DICTATE)
        or (has(_SYSTEM_NOTE) and (order or speech))
        or has(_WHEN_ASKED)
        or (has(_ANSWER_IS) and order)
        or (has(_YOU) and order and speech and (has(_SET_ASIDE) or has(_FROM_NOW)))
    )


@lru_cache(maxsize=65536)
def addresses_reader(sentence: str) -> bool:
    """Whether ``sentence`` tells its reader (a person or a model) what to do or to answer."""
    folded = fold(sentence)
    return bool(_VI_PATTERN.search(_UPPER_AI.sub("tri tue nhan tao", folded).lower())
                or _EN_PATTERN.search(folded.lower())
                or _is_instruction(_UPPER_AI.sub("trí tuệ nhân tạo", sentence).lower()))
