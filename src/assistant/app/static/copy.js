async (payload, which) => {
  // The latest answer or the whole conversation, with its sources: as rich text (HTML, which
  // Word and mail keep: bold, [n] as superscripts, a numbered source list) and as Markdown.
  const button = document.querySelector(which === 'all' ? '#copy-all' : '#copy');
  const say = (text) => {
    if (!button) return;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = text;
    setTimeout(() => { button.textContent = button.dataset.label; }, 1800);
  };
  let data = null;
  try { data = JSON.parse(payload || 'null'); } catch (e) { data = null; }
  const got = data && data[which === 'all' ? 'all' : 'last'];
  if (!got) { say('Chưa có câu trả lời để sao chép'); return []; }
  try {
    await navigator.clipboard.write([new ClipboardItem({
      'text/html': new Blob([got.html], {type: 'text/html'}),
      'text/plain': new Blob([got.md], {type: 'text/plain'}),
    })]);
  } catch (err) {  // no secure context (http on another host): copy a selection of the rich text
    const holder = document.createElement('div');
    holder.contentEditable = 'true';
    holder.style.position = 'fixed';
    holder.style.left = '-9999px';
    holder.innerHTML = got.html;  // escaped by chatview.to_html
    document.body.appendChild(holder);
    const range = document.createRange();
    range.selectNodeContents(holder);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    document.execCommand('copy');
    sel.removeAllRanges();
    holder.remove();
  }
  say('Đã sao chép ✓');
  return [];
}
