// The demo page: renders three phones from /api/info, polls /api/messages, sends through /api/send.
// Plain JavaScript, no build step, no external resources.
"use strict";

const PHONES = ["citizen", "staff", "leader"];
// Chips ending with a space are put into the input for the user to finish; others are sent at once.
const CHIPS = {
  citizen: [["帮助", "帮助"], ["查询", "查询"], ["接访安排", "接访安排"], ["发照片", {kind: "photo"}],
            ["发位置", {kind: "location"}], ["跳过", "跳过"], ["确认", "确认"], ["取消", "取消"]],
  staff: [["待办", "待办"], ["详情…", "详情 "], ["受理…", "受理 "], ["回复…", "回复 "], ["转办…", "转办 "],
          ["延期…", "延期 "], ["办结…", "办结 "], ["帮助", "帮助"]],
  leader: [["待办", "待办"], ["接访名单", "接访名单"], ["统计 本月", "统计 本月"], ["包案…", "包案 "],
           ["督办…", "督办 "], ["确认办结…", "确认办结 "], ["帮助", "帮助"]],
};
const AVATAR = {citizen: "民", staff: "工", leader: "领"};
const VIA = {custom: "客服消息", template: "模板消息", error: "错误"};

const state = {last: 0, seen: new Set(), phones: {}, lastDay: {}};

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function buildPhones(info) {
  const stage = document.getElementById("stage");
  const tpl = document.getElementById("phone-tpl");
  const members = Object.fromEntries(info.phones.map((m) => [m.key, m]));
  for (const key of PHONES) {
    const member = members[key];
    if (!member) continue;
    const node = tpl.content.firstElementChild.cloneNode(true);
    node.dataset.phone = key;
    node.querySelector(".role").textContent = key === "leader" ? member.title : member.label;
    node.querySelector(".name").textContent =
      key === "citizen" ? `${member.name}（${member.title}）` :
      key === "leader" ? member.name : `${member.name}（${member.department}）`;
    const messages = node.querySelector(".messages");
    messages.appendChild(el("div", "empty", emptyText(key)));
    const chips = node.querySelector(".chips");
    for (const [label, action] of CHIPS[key]) {
      const chip = el("button", "", label);
      chip.type = "button";
      chip.addEventListener("click", () => onChip(key, action));
      chips.appendChild(chip);
    }
    node.querySelector(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = node.querySelector(".input");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(key, {kind: "text", text});
    });
    stage.appendChild(node);
    state.phones[key] = node;
  }
}

function emptyText(key) {
  if (key === "citizen") return "以群众身份给公众号发消息：直接说出您遇到的问题，或点下方“帮助”。";
  if (key === "staff") return "工作人员已绑定。群众反映的事项分到本单位后，发“待办”即可查看、受理和回复。";
  return "县委书记已绑定，每周二上午在县信访局接访。发“接访名单”查看预约情况。";
}

function onChip(key, action) {
  if (typeof action === "object") return send(key, action);
  if (action.endsWith(" ")) {
    const input = state.phones[key].querySelector(".input");
    input.value = action;
    input.focus();
    return;
  }
  send(key, {kind: "text", text: action});
}

async function send(key, message) {
  const phone = state.phones[key];
  const button = phone.querySelector(".send");
  button.disabled = true;
  try {
    const data = await api("/api/send", {phone: key, ...message});
    render(data.entries);
  } catch (error) {
    toast(`发送失败：${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function render(entries) {
  for (const entry of entries) {
    if (state.seen.has(entry.id)) continue;
    state.seen.add(entry.id);
    state.last = Math.max(state.last, entry.id);
    const phone = state.phones[entry.phone];
    if (!phone) continue;
    const box = phone.querySelector(".messages");
    const empty = box.querySelector(".empty");
    if (empty) empty.remove();
    const day = entry.at.slice(0, 5);
    if (state.lastDay[entry.phone] !== day) {
      state.lastDay[entry.phone] = day;
      const sep = el("div", "day-sep");
      sep.appendChild(el("span", "", `${Number(day.slice(0, 2))}月${Number(day.slice(3, 5))}日`));
      box.appendChild(sep);
    }
    box.appendChild(bubble(entry));
    box.scrollTop = box.scrollHeight;
  }
}

function bubble(entry) {
  const row = el("div", `msg ${entry.side} ${entry.kind}`);
  row.dataset.id = entry.id;
  const avatar = el("div", "avatar", entry.side === "bot" ? "信" : AVATAR[entry.phone] || "我");
  const body = el("div", "body");
  const box = el("div", "bubble");
  if (entry.image) {
    const img = el("img");
    img.src = entry.image;
    img.alt = "照片";
    box.appendChild(img);
  } else if (entry.kind === "template") {
    box.appendChild(el("span", "card-title", "信访事项通知"));
    box.appendChild(el("span", "text", entry.text));
  } else {
    box.appendChild(el("span", "text", entry.text));
  }
  const meta = el("div", "meta", entry.at.slice(6));
  if (VIA[entry.via]) meta.appendChild(el("span", `tag ${entry.via}`, VIA[entry.via]));
  body.append(box, meta);
  row.append(avatar, body);
  return row;
}

function showClock(clock) {
  document.getElementById("clock").textContent = clock.label;
  const hhmm = clock.label.slice(-5);
  for (const phone of Object.values(state.phones)) phone.querySelector(".statusbar .time").textContent = hhmm;
}

let toastTimer;
function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => node.classList.remove("show"), 4000);
}

async function poll() {
  try {
    const data = await api(`/api/messages?since=${state.last}`);
    render(data.entries);
    showClock(data.clock);
  } catch (error) {
    document.getElementById("clock").textContent = "演示已停止";
  }
  setTimeout(poll, 800);
}

async function jump(button) {
  const buttons = document.querySelectorAll(".time-buttons button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const data = await api("/api/time", JSON.parse(button.dataset.jump));
    render(data.entries);
    showClock(data.clock);
    const arrived = data.entries.filter((e) => e.side === "bot").length;
    toast(`时间已拨到 ${data.clock.label}，收到 ${arrived} 条通知`);
  } catch (error) {
    toast(`未能调整时间：${error.message}`);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

async function main() {
  const info = await api("/api/info");
  buildPhones(info);
  showClock(info.clock);
  document.querySelectorAll(".time-buttons button").forEach((button) => {
    button.addEventListener("click", () => jump(button));
  });
  document.querySelectorAll("code.try").forEach((code) => {
    code.addEventListener("click", () => {
      const input = state.phones[code.dataset.phone].querySelector(".input");
      input.value = code.textContent;
      input.focus();
    });
  });
  poll();
}

main();
