"""Look and behaviour of the page: theme, CSS and the small script that links citation badges to sources."""

from __future__ import annotations

from typing import Any

FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "system-ui", "sans-serif"]
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "SFMono-Regular", "Menlo", "monospace"]


def theme() -> Any:
    """A quiet theme with local fonts only (nothing fetched from the network)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate", font=FONTS, font_mono=MONO)


CSS = """
.gradio-container { max-width: 1440px !important; }
#app-header { padding: 4px 2px 0; }
#app-header h1 { font-size: 1.45rem; margin: 0; letter-spacing: .02em; }
#app-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: .9rem; }

/* chat */
#chat .answer { line-height: 1.75; }
a.cite, span.cite {
  display: inline-flex; align-items: center; justify-content: center;
  min-width: 1.25em; height: 1.25em; padding: 0 .3em; margin: 0 .12em;
  border-radius: .65em; font-size: .72em; font-weight: 600; line-height: 1;
  vertical-align: .35em; text-decoration: none !important;
  background: var(--color-accent-soft); color: var(--color-accent) !important;
  border: 1px solid var(--color-accent); cursor: pointer;
}
a.cite:hover { background: var(--color-accent); color: white !important; }
span.cite-pending { opacity: .55; cursor: default; }
.answer.streaming .cursor { display: inline-block; width: .5em; height: 1em; margin-left: 2px;
  vertical-align: -.1em; background: var(--color-accent); animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.refusal { border-left: 4px solid #d97706; background: #fffbeb; color: #78350f;
  padding: .5em .8em; border-radius: 6px; }
.refusal-tag, .error-tag { display: inline-block; font-size: .75em; font-weight: 600; padding: .05em .5em;
  border-radius: .6em; margin-bottom: .25em; }
.refusal-tag { background: #fde68a; color: #78350f; }
.timeline { list-style: none; margin: .4em 0 0 .3em; padding: 0 0 0 1.1em; border-left: 2px solid #93c5fd; }
.tl-item { position: relative; margin: 0 0 .7em 0; }
.tl-item::before { content: ""; position: absolute; left: -1.55em; top: .45em; width: .7em; height: .7em;
  border-radius: 50%; background: #2563eb; }
.tl-date { display: block; font-weight: 600; color: #1d4ed8; font-size: .92em; }
.tl-event { display: block; font-weight: 600; }
.tl-head { font-weight: 600; margin-bottom: .2em; }
.short-answer { font-weight: 600; background: #ecfdf5; border-left: 4px solid #059669; padding: .15em .5em;
  margin-bottom: .35em; border-radius: 3px; }
.refusal-hint { font-size: .82em; opacity: .8; margin-top: .2em; }
.error-msg { border-left: 4px solid #dc2626; background: #fef2f2; color: #7f1d1d;
  padding: .5em .8em; border-radius: 6px; }
.error-tag { background: #fecaca; color: #7f1d1d; margin: 0 .3em 0 0; }
.warn { font-size: .8em; color: #92400e; margin-top: .35em; }
.timings { font-size: .72em; color: var(--body-text-color-subdued); margin-top: .45em; opacity: .8;
  font-variant-numeric: tabular-nums; }
#examples { gap: 6px; flex-wrap: wrap; }
#examples button { flex: 0 1 auto !important; min-width: 0 !important; font-weight: 400; font-size: .85rem; }
#examples-label { font-size: .85rem; color: var(--body-text-color-subdued); margin: 4px 0 0; }

/* sources */
#sources { max-height: 720px; overflow-y: auto; padding-right: 4px; }
.src-panel { display: flex; flex-direction: column; gap: 10px; }
.src-placeholder { color: var(--body-text-color-subdued); font-size: .9rem; padding: 18px 14px;
  border: 1px dashed var(--border-color-primary); border-radius: 8px; line-height: 1.7; }
.src-question { font-weight: 600; font-size: .92rem; }
.src-section { font-size: .78rem; color: var(--body-text-color-subdued); letter-spacing: .04em; }
.see-also-head { color: #92400e; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--background-fill-primary); scroll-margin: 16px; transition: box-shadow .3s, border-color .3s; }
.src-card.see-also { border-style: dashed; border-color: #f59e0b; }
.src-card.flash { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.src-title { display: flex; gap: 8px; align-items: baseline; font-weight: 600; font-size: .92rem; line-height: 1.4; }
.src-n { flex: none; display: inline-flex; align-items: center; justify-content: center;
  min-width: 1.5em; height: 1.5em;
  padding: 0 .35em; border-radius: .75em; font-size: .75rem; background: var(--color-accent); color: white; }
.see-also .src-n { background: #f59e0b; }
.src-meta { font-size: .76rem; color: var(--body-text-color-subdued); margin: 3px 0 6px; }
.src-meta code.doc-id { font-size: .95em; padding: 0 .3em; border-radius: 3px;
  background: var(--background-fill-secondary); }
.src-passage { font-size: .86rem; line-height: 1.75; white-space: pre-wrap; }
.src-passage mark, .fulltext mark { background: #fde047; color: inherit; padding: 0 1px; border-radius: 2px; }
.src-full { margin-top: 6px; font-size: .82rem; }
.src-full summary { cursor: pointer; color: var(--color-accent); }
.fulltext { white-space: pre-wrap; line-height: 1.8; font-size: .86rem; max-height: 420px; overflow-y: auto;
  padding: 8px 10px; margin-top: 6px; background: var(--background-fill-secondary); border-radius: 6px; }
.src-older { border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.src-older > summary { cursor: pointer; font-size: .82rem; color: var(--body-text-color-subdued); margin-bottom: 8px; }
.src-older > .src-card { margin-bottom: 8px; }
.src-empty { font-size: .85rem; color: var(--body-text-color-subdued); }

/* documents */
#doc-summary { font-size: .95rem; }
.article-view h3 { margin: 0 0 2px; font-size: 1.05rem; }
.article-view .fulltext { max-height: 520px; }
#status-ingest, #status-remove, #status-generator { font-size: .88rem; }
"""

# Runs once on page load: citation badges scroll to (and open) their source card; an opened full
# article scrolls its highlighted quote into view.
JS = """
() => {
  const reveal = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 1800);
  };
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.cite');
    if (!a) return;
    ev.preventDefault(); ev.stopPropagation();
    const id = a.dataset.target || (a.getAttribute('href') || '').replace(/^.*#/, '');
    const el = id && document.getElementById(id);
    if (el) reveal(el);
  }, true);
  document.addEventListener('toggle', (ev) => {
    const d = ev.target;
    if (!d.classList || !d.classList.contains('src-full') || !d.open) return;
    const box = d.querySelector('.fulltext'), mark = box && box.querySelector('mark');
    if (mark) box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - 60);
  }, true);
}
"""
