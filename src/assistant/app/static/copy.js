async (markdown) => {
  const button = document.querySelector('#copy');
  const say = (text) => {
    if (!button) return;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = text;
    setTimeout(() => { button.textContent = button.dataset.label; }, 1800);
  };
  if (!markdown) { say('Chưa có câu trả lời để sao chép'); return []; }
  try {
    await navigator.clipboard.writeText(markdown);
  } catch (err) {  // http on another host is no secure context: fall back to a selection
    const area = document.createElement('textarea');
    area.value = markdown;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  say('Đã sao chép ✓');
  return [];
}
