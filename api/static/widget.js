/*! Trợ lý CCHC — widget nhúng cho cổng thông tin điện tử.
 * Cách dùng: <script src="https://MAY-CHU/widget.js" data-title="Trợ lý CCHC" data-color="#b71c1c"
 *                    data-province="Hà Tĩnh" defer></script>
 * Không cần framework, không cần build. Mọi nội dung từ máy chủ được hiển thị bằng textContent.
 */
(function () {
  'use strict';
  if (window.CCHCWidget) return; // nhúng hai lần: chỉ khởi tạo một lần

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script || !script.src) return;

  // ---- cấu hình từ thuộc tính data-* ------------------------------------------------------
  var ds = script.dataset;
  var BASE = new URL(ds.api || '.', script.src); // API nằm cạnh widget.js, kể cả khi khác origin
  var TITLE = (ds.title || 'Trợ lý CCHC').slice(0, 60);
  var COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(ds.color || '') ? ds.color : '#b71c1c';
  var PROVINCE = (ds.province || '').trim().slice(0, 100) || null;
  var LEFT = ds.position === 'left';
  var MAX_CHARS = 2000;
  var TIMEOUT_MS = 60000;
  var SLOW_MS = 3000; // sau 3 giây: hiện thời gian chờ và nút Hủy
  var KEY = 'cchc-widget:' + BASE.href + ':' + (PROVINCE || '');
  var SUGGESTIONS = ds.suggestions
    ? ds.suggestions.split('|').map(function (s) { return s.trim(); }).filter(Boolean).slice(0, 3)
    : PROVINCE
      ? ['Kế hoạch tuyên truyền CCHC do ai ký ban hành?',
         'Kinh phí thực hiện kế hoạch tuyên truyền CCHC là bao nhiêu?',
         'Dịch vụ công trực tuyến được tuyên truyền như thế nào?']
      : ['Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?',
         'Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang là bao nhiêu?',
         'Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?'];

  var MSG = {
    launcher: 'Hỏi đáp CCHC',
    open: 'Hỏi đáp CCHC: mở ' + TITLE,
    close: 'Đóng trợ lý',
    fresh: 'Cuộc trò chuyện mới',
    freshDone: 'Đã bắt đầu cuộc trò chuyện mới.',
    sub: 'Hỏi về kế hoạch tuyên truyền cải cách hành chính' + (PROVINCE ? ' tỉnh ' + PROVINCE : ''),
    hello: 'Xin chào! Tôi trả lời câu hỏi về kế hoạch thông tin, tuyên truyền cải cách hành chính' +
      (PROVINCE ? ' của tỉnh ' + PROVINCE : '') + '. Hãy chọn một câu hỏi gợi ý hoặc nhập câu hỏi của bạn.',
    label: 'Nhập câu hỏi',
    placeholder: 'Nhập câu hỏi… (Enter để gửi)',
    send: 'Gửi câu hỏi',
    suggest: 'Câu hỏi gợi ý',
    log: 'Nội dung cuộc trò chuyện',
    sources: 'Nguồn:',
    quote: 'Xem trích dẫn',
    wait: 'Đang soạn câu trả lời…',
    note: 'Thông tin tham khảo từ các kế hoạch đã ban hành; vui lòng đối chiếu văn bản gốc.',
    tooLong: 'Câu hỏi quá dài (tối đa 2.000 ký tự). Vui lòng rút gọn.',
    network: 'Không kết nối được tới máy chủ trợ lý. Vui lòng kiểm tra mạng và thử lại.',
    timeout: 'Máy chủ phản hồi quá lâu. Vui lòng thử lại.',
    server: 'Xin lỗi, hệ thống đang gặp sự cố. Vui lòng thử lại sau.',
    cancelled: 'Đã hủy câu hỏi.',
    retry: 'Thử lại',
    cancel: 'Hủy',
    waited: function (n) { return 'Đang soạn câu trả lời… (' + n + ' giây)'; },
    you: 'Bạn',
    bot: 'Trợ lý',
    quoteOf: function (i, s) { return 'Xem trích dẫn nguồn ' + i + ': ' + s; },
    good: 'Hữu ích',
    bad: 'Chưa hữu ích',
    rate: 'Đánh giá câu trả lời',
    thanks: 'Cảm ơn bạn đã góp ý.'
  };

  // ---- màu: chữ trên nền màu thương hiệu chọn theo độ tương phản WCAG AA (4,5:1) ----------------
  function rgb(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, '$&$&');
    return [0, 2, 4].map(function (i) { return parseInt(h.slice(i, i + 2), 16); });
  }
  function lum(c) {
    var v = c.map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function contrast(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function hex(c) { return '#' + c.map(function (x) { return (256 + Math.round(x)).toString(16).slice(1); }).join(''); }
  var BRAND = rgb(COLOR);
  var WHITE = [255, 255, 255];
  var DARK = [27, 27, 27];
  // chữ trên nền thương hiệu: trắng hoặc gần đen, chọn màu tương phản cao hơn
  var ON = contrast(WHITE, BRAND) >= contrast(DARK, BRAND) ? '#ffffff' : '#1b1b1b';
  // màu thương hiệu dùng làm chữ trên nền trắng: làm tối dần tới khi đạt 4,5:1
  var INK = BRAND.slice();
  while (contrast(INK, WHITE) < 4.5) INK = INK.map(function (x) { return x * 0.9; });
  INK = hex(INK);

  // ---- trạng thái (giữ trong sessionStorage: còn khi chuyển trang, mất khi đóng tab) -------
  var state = load();
  var sid = typeof state.sid === 'string' ? state.sid : null;
  var history = Array.isArray(state.msgs) ? state.msgs : [];
  history = history.filter(function (m) { return m && (m.role === 'user' || m.role === 'bot'); });
  var busy = false;
  var generation = 0; // tăng khi bắt đầu cuộc trò chuyện mới: câu trả lời đến muộn của cuộc cũ bị bỏ qua
  var inflight = null; // AbortController của yêu cầu đang chạy

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({ sid: sid, msgs: history.slice(-30) }));
    } catch (e) { /* chế độ riêng tư hoặc iframe sandbox: bỏ qua */ }
  }

  // ---- DOM: chỉ tạo phần tử và nút văn bản (textContent), không chèn HTML dạng chuỗi -------
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }
  function icon(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '20');
    svg.setAttribute('height', '20');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', 'currentColor');
    svg.appendChild(path);
    return svg;
  }

  var CSS = [
    ':host{all:initial}',
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}',
    '.launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;',
    'min-height:44px;padding:12px 18px;border:0;border-radius:999px;background:var(--c);color:var(--on);',
    'font-size:15px;font-weight:600;box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer}',
    '.launcher[aria-expanded=true]{display:none}',
    '.panel{position:fixed;bottom:20px;right:20px;z-index:2147483001;width:390px;max-width:calc(100vw - 32px);',
    'height:600px;max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;',
    'border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);overflow:hidden;font-size:14px;line-height:1.5}',
    '.panel[hidden]{display:none}',
    '.left{right:auto;left:20px}',
    'header{background:var(--c);color:var(--on);padding:10px 12px;display:flex;align-items:flex-start;gap:8px;',
    'flex:none}',
    '.head{flex:1;min-width:0}',
    'h2{margin:0;font-size:16px;font-weight:700}',
    '.sub{margin:2px 0 6px;font-size:12px}',
    '.hbtn{background:transparent;color:var(--on);border:1px solid currentColor;border-radius:8px;',
    'padding:4px 8px;font-size:12px;cursor:pointer;white-space:nowrap;min-height:32px}',
    '.close{font-size:22px;line-height:1;padding:2px 9px;min-width:36px}',
    '.log{position:relative;flex:1 1 auto;min-height:96px;overflow-y:auto;padding:12px;background:#f5f6f8;',
    'display:flex;flex-direction:column;gap:10px}',
    '.msg{max-width:92%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}',
    '.text{white-space:pre-wrap}.rich{white-space:normal}',
    '.user{align-self:flex-end;background:var(--c);color:var(--on);border-bottom-right-radius:4px}',
    '.bot{align-self:flex-start;background:#fff;border:1px solid #e1e4e8;border-bottom-left-radius:4px}',
    '.notfound{border-left:3px solid #b07800}',
    '.error{background:#fdecea;border-color:#f5c2c0;color:#8a1c14}',
    '.sys{align-self:center;color:#555;font-size:12px;padding:0}',
    '.msg[data-state=pending] .text:empty::after{content:"' + MSG.wait + '";color:#555;font-style:italic}',
    '.lead{margin:0 0 6px;font-weight:600}',
    '.plan{display:inline-block;margin:6px 0 2px;padding:0 8px;border-radius:999px;background:#eef1f5;',
    'color:#333;font-size:12px;font-weight:600}',
    '.p{margin:0 0 6px}',
    '.items{margin:4px 0 6px;padding:0 0 0 1.1em}',
    '.items li{margin:0 0 8px;padding-left:2px}',
    'dl{margin:2px 0 6px}',
    'dl div{display:flex;gap:6px;margin:2px 0}',
    'dt{flex:none;font-weight:600;color:#444}',
    'dt::after{content:":"}',
    'dd{margin:0;min-width:0}',
    '.mnote{margin:6px 0 0;font-size:12.5px;color:#5a4a00;background:#fff8e1;padding:4px 8px;border-radius:6px}',
    '.sources{margin-top:8px;border-top:1px dashed #cfd4da;padding-top:6px;font-size:12.5px}',
    '.sources p{margin:0;font-weight:600;color:#444}',
    '.sources ul{margin:4px 0 0;padding-left:18px}',
    '.sources li{margin:2px 0}',
    '.src-meta{font-weight:600}',
    'summary{cursor:pointer;color:var(--ink);font-size:12.5px;padding:2px 0}',
    'blockquote{margin:4px 0;padding:4px 8px;border-left:3px solid #cfd4da;background:#f5f6f8;white-space:pre-wrap}',
    'blockquote dl{margin:0}',
    '.acts{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px}',
    '.acts button{background:#fff;border:1px solid #b8c0ca;color:#1b1b1b;border-radius:8px;min-height:32px;',
    'min-width:36px;padding:2px 10px;font-size:13px;cursor:pointer}',
    '.acts button[aria-pressed=true]{background:var(--c);color:var(--on);border-color:var(--c)}',
    '.error .acts button{border-color:#8a1c14;color:#8a1c14}',
    '.acts .ok{font-size:12px;color:#2d5a2d}',
    '.suggest{display:flex;flex-direction:column;gap:6px;padding:8px 12px;background:#f5f6f8;flex:none}',
    '.suggest[hidden]{display:none}',
    '.suggest button{text-align:left;background:#fff;border:1px solid var(--ink);color:var(--ink);border-radius:10px;',
    'padding:6px 10px;font-size:13px;cursor:pointer}',
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e1e4e8;background:#fff;margin:0;flex:none}',
    'textarea{flex:1;resize:none;border:1px solid #8a939e;border-radius:10px;padding:8px 10px;font-size:16px;',
    'line-height:1.4;min-height:44px;max-height:120px;font-family:inherit;color:#1b1b1b;background:#fff}',
    '.send{background:var(--c);color:var(--on);border:0;border-radius:10px;padding:0 14px;min-width:44px;',
    'min-height:44px;cursor:pointer}',
    '.send:disabled{opacity:.5;cursor:default}',
    '.note{margin:0;padding:0 12px 8px;font-size:11px;color:#555;background:#fff;flex:none}',
    '.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    // vòng tiêu điểm hai lớp (trắng trong, đen ngoài): thấy được trên nền sáng lẫn nền màu thương hiệu
    ':focus-visible{outline:2px solid #fff;outline-offset:1px;box-shadow:0 0 0 5px #1b1b1b}',
    '@media (max-width:480px){.panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}',
    '.launcher{bottom:14px;right:14px}.left.launcher{left:14px}',
    '.hbtn,.acts button,.suggest button,summary{min-height:44px;min-width:44px}',
    'summary{display:flex;align-items:center}.close{min-width:44px}}',
    // màn hình thấp (điện thoại xoay ngang, thu phóng 200 %): toàn màn hình, tiêu đề gọn, khung chat rộng nhất
    '@media (max-height:500px){.panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;',
    'border-radius:0}.sub,.note{display:none}header{padding:4px 10px;align-items:center}.head{display:flex;',
    'align-items:center;gap:8px}h2{font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.suggest{flex-direction:row;overflow-x:auto;padding:4px 8px}.suggest button{flex:none;max-width:70%}',
    'form{padding:4px 8px}.log{min-height:40%}}',
    '@media (prefers-reduced-motion:no-preference){.panel{animation:cchc-pop .16s ease-out}}',
    '@keyframes cchc-pop{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}'
  ].join('');

  var host = el('div', { id: 'cchc-widget', 'data-cchc': '' });
  // Quy tắc `div {…}` của cổng thông tin không được chạm tới phần tử chủ: inline !important thắng mọi stylesheet.
  host.style.cssText = 'all:initial!important;display:block!important;position:fixed!important;top:0!important;' +
    'left:0!important;width:0!important;height:0!important;margin:0!important;padding:0!important;' +
    'border:0!important;overflow:visible!important;z-index:2147483000!important';
  var root = host.attachShadow({ mode: 'open' });
  root.appendChild(el('style', null, CSS));
  host.style.setProperty('--c', COLOR);
  host.style.setProperty('--on', ON);
  host.style.setProperty('--ink', INK);

  var side = LEFT ? ' left' : '';
  var launcher = el('button', {
    type: 'button', 'class': 'launcher' + side, id: 'cchc-launcher', 'aria-label': MSG.open,
    'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'cchc-panel'
  }, icon('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z'), el('span', null, MSG.launcher));

  var closeBtn = el('button', { type: 'button', 'class': 'hbtn close', 'aria-label': MSG.close, title: MSG.close },
    '×');
  var freshBtn = el('button', { type: 'button', 'class': 'hbtn fresh' }, MSG.fresh);
  var log = el('div', {
    'class': 'log', id: 'cchc-log', role: 'log', 'aria-live': 'polite', 'aria-label': MSG.log, tabindex: '0'
  });
  var suggest = el('div', { 'class': 'suggest', role: 'group', 'aria-label': MSG.suggest });
  SUGGESTIONS.forEach(function (q) {
    var b = el('button', { type: 'button' }, q);
    b.addEventListener('click', function () { ask(q); });
    suggest.appendChild(b);
  });
  var input = el('textarea', {
    id: 'cchc-input', rows: '1', maxlength: String(MAX_CHARS), placeholder: MSG.placeholder,
    'aria-describedby': 'cchc-note', autocomplete: 'off'
  });
  var sendBtn = el('button', { type: 'submit', 'class': 'send', 'aria-label': MSG.send, title: MSG.send },
    icon('M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z'));
  var form = el('form', { 'aria-label': MSG.label },
    el('label', { 'for': 'cchc-input', 'class': 'sr-only' }, MSG.label), input, sendBtn);
  var panel = el('section', {
    'class': 'panel' + side, id: 'cchc-panel', role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'cchc-title', 'aria-describedby': 'cchc-sub', hidden: ''
  },
  el('header', null,
    el('div', { 'class': 'head' }, el('h2', { id: 'cchc-title' }, TITLE), el('p', { 'class': 'sub', id: 'cchc-sub' },
      MSG.sub), freshBtn),
    closeBtn),
  log, suggest, form, el('p', { 'class': 'note', id: 'cchc-note' }, MSG.note));
  root.appendChild(launcher);
  root.appendChild(panel);

  // ---- hiển thị tin nhắn ----------------------------------------------------------------
  function scroll() { log.scrollTop = log.scrollHeight; }
  // Đưa phần đầu của câu trả lời mới lên đầu khung (trình duyệt tự giới hạn khi nội dung còn ngắn).
  function scrollToStart(node) { log.scrollTop = Math.max(0, node.offsetTop - 8); }

  function addMsg(role, text) {
    var body = el('div', { 'class': 'text' }, text || '');
    var who = role === 'user' ? MSG.you : role === 'bot' ? MSG.bot : null;
    var wrap = el('div', { 'class': 'msg ' + role }, who ? el('span', { 'class': 'sr-only who' }, who + ': ') : null,
      body);
    log.appendChild(wrap);
    scroll();
    return { wrap: wrap, body: body };
  }

  // Câu trả lời kết thúc bằng dòng "Nguồn: …"; danh sách nguồn bên dưới đã nêu đủ nên bỏ dòng đó.
  function display(text, sources) {
    text = String(text || '');
    return sources && sources.length ? text.replace(/\n?Nguồn: [^\n]*\s*$/, '') : text;
  }

  function str(x) { return x == null ? '' : String(x); }

  function fields(list) {
    var dl = el('dl');
    (Array.isArray(list) ? list : []).forEach(function (f) {
      if (f && f.label && f.value) dl.appendChild(el('div', null, el('dt', null, str(f.label)), el('dd', null, str(f.value))));
    });
    return dl.firstChild ? dl : null;
  }

  // Phần có cấu trúc (parts) -> các nút văn bản: câu dẫn, thẻ kế hoạch một lần, dòng có nhãn, danh sách.
  function renderParts(body, parts) {
    var list = null;
    parts.forEach(function (p) {
      if (!p || typeof p !== 'object' || p.type === 'quote') return;
      if (p.type !== 'item') list = null;
      if (p.type === 'lead') body.appendChild(el('p', { 'class': 'lead' }, str(p.text)));
      else if (p.type === 'plan') body.appendChild(el('p', { 'class': 'plan' }, str(p.text)));
      else if (p.type === 'fields') body.appendChild(fields(p.fields) || el('span'));
      else if (p.type === 'note') body.appendChild(el('p', { 'class': 'mnote' }, str(p.text)));
      else if (p.type === 'item') {
        if (!list) { list = el('ul', { 'class': 'items' }); body.appendChild(list); }
        list.appendChild(el('li', null, str(p.text), fields(p.fields)));
      } else if (p.text) body.appendChild(el('p', { 'class': 'p' }, str(p.text), fields(p.fields)));
    });
  }

  function quoteCells(parts, i) {
    var q = (parts || []).filter(function (p) { return p && p.type === 'quote' && p.source === i; })[0];
    return q ? fields(q.fields) : null;
  }

  function renderSources(wrap, sources, parts) {
    if (!Array.isArray(sources) || !sources.length) return;
    var ul = el('ul');
    sources.slice(0, 5).forEach(function (s, i) {
      if (!s || typeof s !== 'object') return;
      var meta = [s.province, s.year].filter(function (x) { return x != null && x !== ''; }).map(String).join(', ');
      var li = el('li', null, el('span', { 'class': 'src-meta' }, meta || '—'), ' — ', str(s.document),
        s.section ? ' — ' + str(s.section) : '');
      var cells = quoteCells(parts, i);
      if (s.quote || cells) {
        var name = MSG.quoteOf(i + 1, [meta, str(s.section)].filter(Boolean).join(', '));
        li.appendChild(el('details', null, el('summary', { 'aria-label': name }, MSG.quote),
          el('blockquote', null, cells || str(s.quote))));
      }
      ul.appendChild(li);
    });
    wrap.appendChild(el('div', { 'class': 'sources' }, el('p', null, MSG.sources), ul));
  }

  function plansOf(sources) {
    var seen = [];
    (sources || []).forEach(function (s) {
      var t = s && s.province ? s.province + (s.year ? ', ' + s.year : '') : '';
      if (t && seen.indexOf(t) < 0) seen.push(t);
    });
    return seen.slice(0, 5);
  }

  // 👍/👎: hai nút bật/tắt (aria-pressed), dùng được bằng bàn phím; gửi tới POST /v1/feedback.
  function renderVote(msg, turn) {
    var box = el('div', { 'class': 'acts', role: 'group', 'aria-label': MSG.rate });
    // tên truy cập = chữ hiển thị ("Hữu ích" / "Chưa hữu ích"); biểu tượng chỉ để trang trí
    var up = el('button', { type: 'button', 'class': 'vote up', 'aria-pressed': String(turn.vote === 'up') },
      el('span', { 'aria-hidden': 'true' }, '👍 '), MSG.good);
    var down = el('button', { type: 'button', 'class': 'vote down', 'aria-pressed': String(turn.vote === 'down') },
      el('span', { 'aria-hidden': 'true' }, '👎 '), MSG.bad);
    var ok = el('span', { 'class': 'ok', role: 'status' }, turn.vote ? MSG.thanks : '');
    function vote(r) {
      if (turn.vote === r) return;
      turn.vote = r;
      up.setAttribute('aria-pressed', String(r === 'up'));
      down.setAttribute('aria-pressed', String(r === 'down'));
      ok.textContent = MSG.thanks;
      save();
      var body = { session_id: turn.sid || sid, question: str(turn.q), rating: r, plans: plansOf(turn.sources),
        answer: str(turn.answer).slice(0, 6000) };
      if (PROVINCE) body.province = PROVINCE;
      if (!body.session_id || !body.question) return;
      fetch(new URL('v1/feedback', BASE).href, {
        method: 'POST', mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body)
      }).catch(function () { /* góp ý là tùy chọn: lỗi mạng không làm phiền người dùng */ });
    }
    up.addEventListener('click', function () { vote('up'); });
    down.addEventListener('click', function () { vote('down'); });
    box.appendChild(up);
    box.appendChild(down);
    box.appendChild(ok);
    msg.wrap.appendChild(box);
  }

  function renderAnswer(msg, turn) {
    var parts = Array.isArray(turn.parts) && turn.parts.length ? turn.parts : null;
    msg.body.textContent = '';
    msg.body.classList.toggle('rich', !!parts);
    if (parts) renderParts(msg.body, parts);
    else {
      msg.body.textContent = display(turn.answer, turn.sources);
    }
    renderSources(msg.wrap, turn.sources, parts);
    if (turn.found === false) msg.wrap.classList.add('notfound');
    renderVote(msg, turn);
  }

  function renderHistory() {
    while (log.firstChild) log.removeChild(log.firstChild);
    addMsg('bot', MSG.hello);
    history.forEach(function (m) {
      if (m.role === 'user') addMsg('user', m.text);
      else if (m.role === 'bot') {
        var msg = addMsg('bot', '');
        msg.wrap.setAttribute('data-state', 'done');
        renderAnswer(msg, m);
      }
    });
    suggest.hidden = history.some(function (m) { return m.role === 'user'; });
  }

  // ---- gọi API: POST + đọc luồng Server-Sent Events bằng ReadableStream ------------------
  function parseEvent(block) {
    var ev = { event: 'message', data: '' };
    var data = [];
    block.split(/\r?\n/).forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') ev.event = value;
      else if (field === 'data') data.push(value);
    });
    try { ev.data = data.length ? JSON.parse(data.join('\n')) : {}; } catch (e) { ev.data = {}; }
    return ev;
  }

  function ApiError(message) { this.message = message; }

  async function errorText(res) {
    try {
      var body = await res.json();
      if (body && typeof body.detail === 'string') return body.detail;
    } catch (e) { /* không phải JSON */ }
    return MSG.server;
  }

  async function streamAnswer(payload, onDelta) {
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    inflight = ctrl;
    var final = null;
    try {
      var res = await fetch(new URL('v1/chat/stream?parts=1', BASE).href, {
        method: 'POST', mode: 'cors', credentials: 'omit',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(payload), signal: ctrl ? ctrl.signal : undefined
      });
      if (!res.ok) {
        if (res.status === 422 && payload.session_id) sid = null; // an id the server no longer accepts: start anew
        throw new ApiError(await errorText(res));
      }
      var handle = function (ev) {
        if (ev.event === 'delta' && ev.data && typeof ev.data.text === 'string') onDelta(ev.data.text);
        else if (ev.event === 'answer') final = ev.data;
        else if (ev.event === 'error') throw new ApiError(String((ev.data && ev.data.detail) || MSG.server));
      };
      var buf = '';
      var drain = function () {
        var m;
        while ((m = /\r?\n\r?\n/.exec(buf))) {
          var block = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          handle(parseEvent(block));
        }
      };
      if (res.body && res.body.getReader && typeof TextDecoder === 'function') {
        var reader = res.body.getReader();
        var dec = new TextDecoder('utf-8');
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buf += dec.decode(chunk.value, { stream: true });
          drain();
        }
        buf += dec.decode();
      } else {
        buf = await res.text(); // trình duyệt cũ: nhận một lần
      }
      buf += '\n\n';
      drain();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(e && e.name === 'AbortError' ? MSG.timeout : MSG.network);
    } finally {
      if (timer) clearTimeout(timer);
      if (inflight === ctrl) inflight = null;
    }
    if (!final || typeof final.answer !== 'string') throw new ApiError(MSG.server);
    return final;
  }

  async function ask(text) {
    text = String(text || '').trim();
    if (busy || !text) return;
    if (text.length > MAX_CHARS) { addMsg('sys', MSG.tooLong); return; }
    setBusy(true);
    suggest.hidden = true;
    var mine = addMsg('user', text);
    var msg = addMsg('bot', '');
    msg.wrap.setAttribute('data-state', 'pending');
    msg.wrap.setAttribute('aria-busy', 'true');
    scrollToStart(mine.wrap);
    var acc = '';
    var gen = generation;
    var payload = { message: text };
    if (sid) payload.session_id = sid;
    if (PROVINCE) payload.province = PROVINCE;
    // tiến trình: sau vài giây hiện số giây đã chờ và nút Hủy (không bắt người dùng đợi hết 60 giây)
    var started = Date.now();
    var wait = el('div', { 'class': 'acts wait' });
    var waitText = el('span', { 'aria-live': 'off' });
    var cancelBtn = el('button', { type: 'button', 'class': 'cancel' }, MSG.cancel);
    cancelBtn.addEventListener('click', function () { cancelled = true; if (inflight) inflight.abort(); });
    wait.appendChild(waitText);
    wait.appendChild(cancelBtn);
    var cancelled = false;
    var ticker = setInterval(function () {
      if (gen !== generation) return;
      var s = Math.floor((Date.now() - started) / 1000);
      if (Date.now() - started < SLOW_MS) return;
      if (!wait.parentNode) msg.wrap.appendChild(wait);
      waitText.textContent = acc ? '' : MSG.waited(s);
    }, 500);
    try {
      var ans = await streamAnswer(payload, function (piece) {
        if (gen !== generation) return;
        acc += piece;
        msg.body.textContent = acc;
      });
      if (gen !== generation) return;
      if (typeof ans.session_id === 'string' && ans.session_id) sid = ans.session_id;
      var turn = { role: 'bot', answer: ans.answer, found: ans.found, sources: ans.sources,
        parts: Array.isArray(ans.parts) ? ans.parts : null, q: text, sid: sid };
      if (wait.parentNode) wait.parentNode.removeChild(wait);
      renderAnswer(msg, turn);
      // chỉ lưu lượt hỏi đã có câu trả lời: một câu hỏi lỗi không hiện lại như đã được trả lời sau khi tải lại trang
      history.push({ role: 'user', text: text }, turn);
      msg.wrap.setAttribute('data-state', 'done');
      save();
    } catch (e) {
      if (gen !== generation) return;
      if (wait.parentNode) wait.parentNode.removeChild(wait);
      failed(mine, msg, text, cancelled ? MSG.cancelled : (e && e.message) || MSG.server);
    } finally {
      clearInterval(ticker);
      setBusy(false);
      if (gen === generation) {
        msg.wrap.setAttribute('aria-busy', 'false');
        scrollToStart(msg.wrap);
      }
    }
  }

  // Câu hỏi lỗi: giữ lại chữ đã gõ trong ô nhập, nút "Thử lại" gửi lại đúng câu đó.
  function failed(mine, msg, text, message) {
    msg.wrap.classList.add('error');
    msg.body.textContent = message;
    msg.wrap.setAttribute('data-state', 'error');
    if (!input.value.trim()) { input.value = text; grow(); }
    var again = el('button', { type: 'button', 'class': 'retry', 'aria-label': MSG.retry + ': ' + text.slice(0, 80) },
      MSG.retry);
    again.addEventListener('click', function () {
      if (busy) return;
      [mine.wrap, msg.wrap].forEach(function (n) { if (n.parentNode) n.parentNode.removeChild(n); });
      if (input.value.trim() === text) { input.value = ''; grow(); }
      input.focus();
      ask(text);
    });
    msg.wrap.appendChild(el('div', { 'class': 'acts' }, again));
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    log.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  // ---- mở / đóng, bàn phím, tiêu điểm ----------------------------------------------------
  var narrow = window.matchMedia ? window.matchMedia('(max-width: 480px)') : null;

  function open() {
    if (!panel.hidden) { input.focus(); return; }
    panel.hidden = false;
    panel.setAttribute('aria-modal', narrow && narrow.matches ? 'true' : 'false');
    launcher.setAttribute('aria-expanded', 'true');
    scroll();
    input.focus();
  }
  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }
  function fresh() {
    generation++;
    if (inflight) inflight.abort();
    sid = null;
    history = [];
    save();
    renderHistory();
    addMsg('sys', MSG.freshDone);
    input.focus();
  }

  launcher.addEventListener('click', open);
  closeBtn.addEventListener('click', close);
  freshBtn.addEventListener('click', fresh);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value;
    if (busy || !text.trim()) return;
    input.value = '';
    grow();
    ask(text);
  });
  input.addEventListener('keydown', function (e) {
    // isComposing / 229: đang gõ dấu bằng bộ gõ (Telex, VNI) — Enter khi đó không phải lệnh gửi
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }
  input.addEventListener('input', grow);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); return; }
    if (e.key === 'Tab' && panel.getAttribute('aria-modal') === 'true') trapFocus(e);
  });
  function trapFocus(e) {
    var items = Array.prototype.filter.call(
      panel.querySelectorAll('button, textarea, summary, [tabindex="0"]'),
      function (n) { return !n.disabled && n.offsetParent !== null; });
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    var active = root.activeElement;
    if (e.shiftKey && active === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  }

  function mount() {
    document.body.appendChild(host);
    renderHistory();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  window.CCHCWidget = { open: open, close: close, ask: function (q) { open(); return ask(q); }, reset: fresh };
})();
