if (!window.__assistantCites) {
  window.__assistantCites = true;
  // [n] opens its source in place: beside the chat (the sources panel, when it is beside it),
  // else as a card under the sentence that cites it, with "Đóng" to close it; [n] again closes it.
  const beside = () => {
    const chat = document.getElementById('chat'), panel = document.getElementById('sources');
    if (!chat || !panel) return false;
    return panel.getBoundingClientRect().left >= chat.getBoundingClientRect().right - 1;
  };
  const closeAll = (root) => root.querySelectorAll('.cite-inline').forEach((el) => {
    const link = document.querySelector(`a.cite[aria-expanded="true"][href="#${el.dataset.for}"]`);
    if (link) link.setAttribute('aria-expanded', 'false');
    el.remove();
  });
  document.addEventListener('click', (event) => {
    const target = event.target;
    const close = target.closest ? target.closest('.cite-inline .cite-close') : null;
    if (close) {
      event.preventDefault();
      const box = close.closest('.cite-inline');
      const link = box.previousLinkEl;
      closeAll(box.parentElement || document);
      if (link && link.isConnected) link.focus({preventScroll: true});
      return;
    }
    const link = target.closest ? target.closest('a.cite') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const id = (link.getAttribute('href') || '').replace(/^#/, '');  // the sanitizer drops data-*
    const card = document.getElementById(id);
    if (!card) return;
    document.querySelectorAll('.src-card.active').forEach((el) => el.classList.remove('active'));
    card.classList.add('active');
    if (beside()) {
      card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
      return;
    }
    const bubble = link.closest('[data-testid="bot"]') || link.parentElement;
    const wasOpen = bubble.querySelector(`.cite-inline[data-for="${id}"]`);
    closeAll(bubble);
    if (wasOpen) return;
    const box = document.createElement('div');
    box.className = 'cite-inline';
    box.dataset.for = id;
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', 'Nguồn ' + link.textContent);
    box.innerHTML = card.innerHTML;  // our own escaped card (chatview.citation_html)
    const shut = document.createElement('button');
    shut.type = 'button';
    shut.className = 'cite-close';
    shut.textContent = 'Đóng ✕';
    box.prepend(shut);
    box.previousLinkEl = link;
    const block = link.closest('p, li, .source-line') || link;
    block.after(box);
    link.setAttribute('aria-expanded', 'true');
    // its top (and "Đóng") in view, by scrolling the chat alone: the page itself does not move
    let scroller = box.parentElement;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (/(auto|scroll)/.test(style.overflowY) && scroller.scrollHeight > scroller.clientHeight) break;
      scroller = scroller.parentElement;
    }
    if (scroller && scroller !== document.body) {
      const top = box.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      const bottom = box.getBoundingClientRect().bottom - scroller.getBoundingClientRect().bottom;
      if (top < 0 || bottom > 0) scroller.scrollTop += Math.min(top - 8, Math.max(bottom + 8, 0));
    }
  }, true);
}
