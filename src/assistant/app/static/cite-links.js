if (!window.__assistantCites) {
  window.__assistantCites = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.cite') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const id = (link.getAttribute('href') || '').replace(/^#/, '');  // the sanitizer drops data-*
    const card = document.getElementById(id);
    if (!card) return;
    document.querySelectorAll('.src-card.active').forEach((el) => el.classList.remove('active'));
    card.classList.add('active');
    card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  }, true);
}
