// Samverka's one script: the person's key in this browser, signing in, and signing records.
// Everything else on the pages works without it.
//
// The key is a WebCrypto Ed25519 key made non-extractable and kept in IndexedDB: the page can
// ask the browser to sign with it, but nothing (not this script either) can read it out.
//
// The browser keeps its own record of its chain (docs/web.md, "Signing in a browser"): the last
// record it signed, with its bytes, and whether a node has acknowledged it. Before it signs a
// record at a position, it makes sure that it has not signed another record there that some node
// may still store. It is the browser's part of "a refusal never leaves a hole, and no position
// is signed twice".
"use strict";

(() => {
  const DB = "samverka";
  const KEYS = "keys"; // "me" -> { key: CryptoKey (private), pub: hex }
  const CHAIN = "chain"; // public key hex -> { seq, id, record: hex, acked: bool }
  const LOGIN_DOMAIN = new TextEncoder().encode("samverka/v1/login\0");
  const sv = document.documentElement.lang !== "en";
  const say = (svText, enText) => (sv ? svText : enText);

  const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  };
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  function db() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(DB, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore(KEYS);
        open.result.createObjectStore(CHAIN);
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }

  async function tx(store, mode, act) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const request = act(t.objectStore(store));
      t.oncomplete = () => resolve(request ? request.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
  const put = (store, key, value) => tx(store, "readwrite", (s) => s.put(value, key));
  const del = (store, key) => tx(store, "readwrite", (s) => s.delete(key));

  async function myKey() {
    return get(KEYS, "me");
  }

  async function keep(privateKey, publicKey) {
    const pub = hex(await crypto.subtle.exportKey("raw", publicKey));
    await put(KEYS, "me", { key: privateKey, pub });
    return pub;
  }

  async function createKey() {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return keep(pair.privateKey, pair.publicKey);
  }

  // A private key from its 32-byte Ed25519 seed (PKCS#8 wraps the seed), not extractable.
  const fromSeed = (seedHex) =>
    crypto.subtle.importKey("pkcs8", concat(unhex("302e020100300506032b657004220420"), unhex(seedHex)), { name: "Ed25519" }, false, ["sign"]);

  // A demo person's key from its public seed.
  async function importSeed(seedHex, pubHex) {
    await put(KEYS, "me", { key: await fromSeed(seedHex), pub: pubHex });
    return pubHex;
  }

  // A member's organisation key from its key file (`samverka key generate`: TOML with `public` and
  // `secret` in hex), chosen on the signing page. It is read in this browser only, never sent,
  // and not kept: it signs a roster change the member makes alone.
  async function orgKey(form, author) {
    const file = form.elements["org-key"] && form.elements["org-key"].files[0];
    if (!file) throw new Error(say("välj organisationens nyckelfil.", "choose the organisation's key file."));
    const text = file.size <= 4096 ? await file.text() : "";
    const field = (name) => (text.match(new RegExp("^" + name + '\\s*=\\s*"([0-9a-f]{64})"', "m")) || [])[1];
    const pub = field("public");
    const secret = field("secret");
    if (!pub || !secret) {
      throw new Error(say("filen är inte en nyckelfil med en hemlig nyckel. Välj organisationens nyckelfil.", "the file is not a key file holding a secret key. Choose the organisation's key file."));
    }
    if (pub !== author) {
      throw new Error(say("nyckelfilen är inte medlemmens organisationsnyckel. Välj rätt fil.", "the key file is not the member's organisation key. Choose the right file."));
    }
    return { key: await fromSeed(secret), pub };
  }

  async function sign(privateKey, bytes) {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, bytes));
  }

  function status(id, text) {
    const el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function supported() {
    return window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB;
  }

  // ---- sign-in -------------------------------------------------------------------------------

  async function signIn(form) {
    const me = await myKey();
    if (!me) {
      status("login-status", say("Den här webbläsaren har ingen nyckel ännu. Skapa en under Min nyckel.", "This browser has no key yet. Make one under My key."));
      return;
    }
    const message = concat(LOGIN_DOMAIN, unhex(form.dataset.federation), unhex(form.dataset.challenge));
    form.elements.key.value = me.pub;
    form.elements.signature.value = hex(await sign(me.key, message));
    form.submit();
  }

  function loginPage() {
    const form = document.getElementById("login-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      signIn(form).catch((e) => status("login-status", say("Inloggningen misslyckades: ", "Signing in failed: ") + e));
    });
    for (const button of document.querySelectorAll(".demo-login")) {
      const go = () => {
        status("login-status", say("Loggar in …", "Signing in …"));
        importSeed(button.dataset.seed, button.dataset.key)
          .then(() => signIn(form))
          .catch((e) => status("login-status", say("Inloggningen misslyckades: ", "Signing in failed: ") + e));
      };
      button.addEventListener("click", go);
      if (button.dataset.auto) go(); // a demo link: sign in at once
    }
  }

  // ---- the key page --------------------------------------------------------------------------

  async function showKey() {
    const me = await myKey();
    document.getElementById("key-none").hidden = !!me;
    document.getElementById("key-shown").hidden = !me;
    if (me) {
      document.getElementById("key-public").textContent = me.pub;
      document.getElementById("key-fingerprint").textContent = me.pub.slice(0, 8).match(/.{4}/g).join(" ");
      const command = document.getElementById("key-command");
      command.textContent = command.textContent.replace("--certify KEY", "--certify " + me.pub);
      document.getElementById("key-certify-link").href = "/medlemmar/certifiera?nyckel=" + me.pub;
    }
  }

  function keyPage() {
    const create = document.getElementById("key-create");
    if (!create) return;
    create.addEventListener("click", () => {
      createKey()
        .then(showKey)
        .then(() => status("key-status", say("Nyckeln är skapad och sparad i den här webbläsaren.", "The key is made and kept in this browser.")))
        .catch((e) => status("key-status", say("Nyckeln kunde inte skapas: ", "The key could not be made: ") + e));
    });
    showKey().catch((e) => status("key-status", String(e)));
  }

  // ---- signing a record ----------------------------------------------------------------------

  // Reads author (32 bytes), seq (varint) and prev (option of 32 bytes) from the canonical
  // header: format u8, federation [32], author [32], seq, prev, ...
  function headerPosition(header) {
    const author = hex(header.slice(33, 65));
    let at = 65;
    let seq = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = header[at++];
      seq |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    const prev = header[at] === 1 ? hex(header.slice(at + 1, at + 33)) : "";
    return { author, seq: Number(seq), prev };
  }

  async function send(recordHex) {
    const response = await fetch("/api/v1/records", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: unhex(recordHex),
    });
    const body = await response.json().catch(() => ({}));
    const refused = response.status === 422 || response.status === 400 || (response.status === 409 && body.code !== "missing_predecessor");
    return { ok: response.ok, refused, code: body.code || String(response.status) };
  }

  async function signOffer(form) {
    const me = await myKey();
    const d = form.dataset;
    let signer = me;
    if (d.org) {
      signer = await orgKey(form, d.author);
    } else if (!me || me.pub !== d.author) {
      throw new Error(say("nyckeln i den här webbläsaren är inte den du loggade in med. Logga in igen.", "the key in this browser is not the one you signed in with. Sign in again."));
    }
    const header = unhex(d.before);
    const position = headerPosition(header);
    if (position.author !== d.author || position.seq !== Number(d.seq) || position.prev !== d.prev) {
      throw new Error(say("noden skickade en post som inte stämmer med det som visas. Ingenting skrevs under.", "the node sent a record that does not match what is shown. Nothing was signed."));
    }
    const last = await get(CHAIN, signer.pub);
    if (last && last.id !== d.id && last.seq >= position.seq) {
      if (!last.acked) {
        // A record signed here may never have reached a node: send it again first. Whatever
        // the node holds, this is safe; only a refusal by a rule frees its position.
        const sent = await send(last.record);
        if (sent.ok) {
          await put(CHAIN, signer.pub, { ...last, acked: true });
          throw new Error(say("din förra underskrift hade inte nått noden; nu har den det. Börja om från ärendet.", "your previous signature had not reached the node; now it has. Start again from the matter."));
        }
        if (!sent.refused) {
          throw new Error(say("din förra underskrift har inte nått noden (" + sent.code + "). Försök igen om en stund.", "your previous signature has not reached the node (" + sent.code + "). Try again in a while."));
        }
        await del(CHAIN, signer.pub); // refused everywhere: its position is free
      }
      if (last.acked || last.seq > position.seq) {
        throw new Error(say("noden har ännu inte fått din senaste underskrift. Vänta en stund och försök igen, eller använd din egen kommuns nod.", "this node does not hold your latest signature yet. Wait a moment and try again, or use your own member's node."));
      }
    }
    const signature = await sign(signer.key, unhex(d.input));
    const record = hex(header) + hex(signature) + d.after;
    await put(CHAIN, signer.pub, { seq: position.seq, id: d.id, record, acked: false });
    sessionStorage.setItem("samverka-signer", signer.pub);
    form.elements.signature.value = hex(signature);
    form.submit();
  }

  function offerPage() {
    const form = document.getElementById("sign-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      status("sign-status", say("Skriver under …", "Signing …"));
      signOffer(form).catch((e) => status("sign-status", say("Inte underskrivet: ", "Not signed: ") + (e.message || e)));
    });
  }

  // The node's answer to a signature: acknowledged, or refused (its position free again).
  async function resultPage() {
    const result = document.getElementById("signed-result");
    if (!result) return;
    const me = await myKey();
    const pub = sessionStorage.getItem("samverka-signer") || (me && me.pub);
    if (!pub) return;
    const last = await get(CHAIN, pub);
    if (!last) return;
    if (result.dataset.acked === last.id) await put(CHAIN, pub, { ...last, acked: true });
    if (result.dataset.givenBack === last.id) await del(CHAIN, pub);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!supported()) {
      for (const id of ["login-status", "key-status", "sign-status"]) {
        status(id, say("Den här webbläsaren kan inte hålla en nyckel (sidan måste nås över https, och webbläsaren stödja Ed25519).", "This browser cannot hold a key (the page must be reached over https, and the browser must support Ed25519)."));
      }
      return;
    }
    loginPage();
    keyPage();
    offerPage();
    resultPage().catch(() => {});
  });
})();
