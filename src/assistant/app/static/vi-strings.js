(() => {
  // The page is Vietnamese: its language for screen readers and spell checkers, and Gradio's
  // own English strings (it ships no Vietnamese) replaced as they appear.
  if (window.__assistantVi) return;
  window.__assistantVi = true;
  document.documentElement.lang = 'vi';
  const WORDS = new Map([
    ['Drop File Here', 'Thả tệp vào đây'],
    ['Drop Files Here', 'Thả tệp vào đây'],
    ['Click to Upload', 'Bấm để chọn tệp'],
    ['- or -', '- hoặc -'],
    ['Error', 'Lỗi'],
    ['Connection to the server was lost. Attempting reconnection...',
     'Mất kết nối tới máy chủ. Đang thử kết nối lại…'],
    ['Lost connection due to leaving page. Rejoining queue...', 'Mất kết nối do rời trang. Đang vào lại hàng đợi…'],
    ['Uploading...', 'Đang tải lên…'],
    ['Loading...', 'Đang tải…'],
    ['Loading', 'Đang tải'],
    ['processing', 'đang xử lý'],
    ['Clear', 'Xoá'],
    ['Copy', 'Sao chép'],
    ['Copied', 'Đã sao chép'],
    ['Download', 'Tải về'],
    ['Close', 'Đóng'],
    ['Examples', 'Ví dụ'],
    ['Warning', 'Cảnh báo'],
    ['Info', 'Thông tin'],
    ['Like', 'Câu trả lời đúng'],
    ['Dislike', 'Câu trả lời chưa đúng'],
  ]);
  const ATTRS = ['aria-label', 'title', 'placeholder'];
  const fixNode = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue.trim();
      if (text && WORDS.has(text)) node.nodeValue = node.nodeValue.replace(text, WORDS.get(text));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.closest && node.closest('#chat .message-content, #sources, .cite-inline')) return;  // corpus text
    for (const a of ATTRS) {
      const v = node.getAttribute(a);
      if (v && WORDS.has(v.trim())) node.setAttribute(a, WORDS.get(v.trim()));
    }
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) {
        const text = n.nodeValue.trim();
        if (text && WORDS.has(text) && !(n.parentElement && n.parentElement.closest('#chat [data-testid="bot"], #chat [data-testid="user"], #sources'))) {
          n.nodeValue = n.nodeValue.replace(text, WORDS.get(text));
        }
      } else {
        for (const a of ATTRS) {
          const v = n.getAttribute(a);
          if (v && WORDS.has(v.trim())) n.setAttribute(a, WORDS.get(v.trim()));
        }
      }
    }
  };
  const start = () => {
    fixNode(document.body);
    new MutationObserver((changes) => {
      if (document.documentElement.lang !== 'vi') document.documentElement.lang = 'vi';
      for (const m of changes) {
        if (m.type === 'characterData') fixNode(m.target);
        else m.addedNodes.forEach(fixNode);
      }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
  };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
