"""Accounts of a shared server: one SQLite file (or PostgreSQL: ``scripts/with_postgres.py``), scrypt
hashes, API keys kept only as digests."""

import subprocess
import sys

import pytest

from assistant.app.accounts import AccountError, Accounts, check_password, hash_password


def test_passwords_are_salted_scrypt_hashes_and_checked():
    a, b = hash_password("mật khẩu dài"), hash_password("mật khẩu dài")
    assert a != b and a.startswith("scrypt$") and "mật" not in a
    assert check_password("mật khẩu dài", a) and not check_password("mật khẩu dài!", a)
    assert not check_password("x", "garbage") and not check_password("x", "md5$1$2$3$aa$bb")


def test_users_roles_keys_and_removal(tmp_path, database_url):
    acc = Accounts(tmp_path, database_url)
    assert acc.count() == 0 and not (tmp_path / "assistant.db").exists()  # asking creates no file
    acc.add("lan", "secret-pass-1", "editor")
    acc.add("minh", "secret-pass-2")
    with pytest.raises(AccountError):
        acc.add("lan", "secret-pass-3")
    for bad in ("", "a b", "x" * 65, "tab\there"):
        with pytest.raises(AccountError):
            acc.add(bad, "secret-pass-4")
    with pytest.raises(AccountError):
        acc.add("short", "1234567")
    with pytest.raises(AccountError):
        acc.add("boss", "secret-pass-5", "owner")
    assert acc.login("lan", "secret-pass-1").role == "editor"
    assert acc.login("lan", "wrong-pass") is None and acc.login("nobody", "secret-pass-1") is None
    _, key = acc.new_key("lan")
    assert acc.user_for_key(key).name == "lan" and acc.user_for_key(key + "x") is None
    with acc.db() as con:  # only digests are kept
        kept = repr([con.execute(f"SELECT * FROM {t}").fetchall() for t in ("users", "api_keys", "sessions")])
    assert key not in kept and "secret-pass-1" not in kept and "scrypt$" in kept
    if not database_url:
        raw = (tmp_path / "assistant.db").read_bytes()
        assert key.encode() not in raw and b"secret-pass-1" not in raw
    lan = acc.user_for_key(key)
    assert lan.may("reader") and lan.may("editor") and not lan.may("admin")
    assert [(u.name, u.role, u.keys) for u in acc.list()] == [("lan", "editor", 1), ("minh", "reader", 0)]
    acc.set_password("lan", "new-secret-9")
    assert acc.login("lan", "secret-pass-1") is None and acc.login("lan", "new-secret-9")
    acc.remove("lan")
    assert acc.user_for_key(key) is None  # the user's keys go with them
    with acc.db() as con:
        assert con.execute("SELECT COUNT(*) FROM api_keys").fetchone()[0] == 0
    with pytest.raises(AccountError):
        acc.remove("lan")


def test_users_cli_end_to_end(tmp_path, database_url):
    env_cmd = [sys.executable, "-m", "assistant.app.cli", "users"]

    def run(*args, stdin=""):
        return subprocess.run([*env_cmd, *args], check=False, input=stdin, capture_output=True, text=True, cwd=tmp_path)

    assert run("add", "lan", "--role", "admin", "--password-stdin", stdin="secret-pass-1\n").returncode == 0
    out = run("key", "lan")
    assert out.returncode == 0
    key = out.stdout.split()[-1]  # the key is the last word of the output
    assert Accounts(tmp_path / "data", database_url).user_for_key(key).role == "admin"
    assert "lan\tadmin\t1 API key(s)" in run("list").stdout
    audit = run("audit").stdout.splitlines()
    assert [line.split("\t")[1:4] for line in audit] == [["shell", "add API key", "lan"], ["shell", "add user", "lan"]]
    bad = run("passwd", "lan", "--password-stdin", stdin="short\n")
    assert bad.returncode == 1 and bad.stderr.strip() == "Error: a password has at least 8 characters"
    gone = run("remove", "nobody")
    assert gone.returncode == 1 and gone.stderr.strip() == "Error: no user 'nobody'"


def test_logins_are_throttled_per_name_and_per_client_and_sessions_end(tmp_path, database_url):
    from assistant.app.accounts import CLIENT, LOCKOUT, PAIR, LoginThrottled

    acc = Accounts(tmp_path, database_url)
    acc.add("lan", "secret-pass-1")
    acc.add("minh", "secret-pass-2")
    t = 1_000_000.0
    for i in range(PAIR.free):
        assert acc.login("lan", "wrong-pass", now=t + i, client="10.0.0.5") is None
    with pytest.raises(LoginThrottled) as locked:
        acc.login("lan", "secret-pass-1", now=t + 10, client="10.0.0.5")  # the right password, refused while waiting
    assert 0 < locked.value.retry_after <= PAIR.first and "giây" in locked.value.vi
    with pytest.raises(LoginThrottled):
        acc.login("Lan", "whatever", now=t + 11, client="10.0.0.5")  # a name is one count, however it is cased
    assert acc.login("minh", "secret-pass-2", now=t + 10, client="10.0.0.5").name == "minh"  # other names go on
    assert acc.login("lan", "secret-pass-1", now=t + 11, client="10.0.0.6").name == "lan"  # and lan from elsewhere
    assert acc.login("lan", "wrong-again", now=t + 4 + PAIR.first + 1, client="10.0.0.5") is None  # the wait ends
    with pytest.raises(LoginThrottled) as longer:
        acc.login("lan", "secret-pass-1", now=t + 4 + PAIR.first + 2, client="10.0.0.5")
    assert longer.value.retry_after > PAIR.first  # and doubles with each further failure
    assert acc.login("lan", "secret-pass-1", now=t + LOCKOUT * 3, client="10.0.0.5").name == "lan"
    # one address trying many names waits after CLIENT.free failures, whatever the names, at most CLIENT.cap
    for i in range(CLIENT.free):
        assert acc.login(f"guess{i}", "x", now=t + 5000 + i, client="10.0.0.9") is None
    with pytest.raises(LoginThrottled) as spraying:
        acc.login("minh", "secret-pass-2", now=t + 5000 + CLIENT.free, client="10.0.0.9")
    assert spraying.value.retry_after <= CLIENT.cap
    assert acc.login("minh", "secret-pass-2", now=t + 5030, client="10.0.0.7").name == "minh"
    assert acc.login("minh", "secret-pass-2", now=t + 5000 + CLIENT.free + CLIENT.cap, client="10.0.0.9").name == "minh"
    # a name and an address never share a count: a login named like an address is just a name
    for i in range(CLIENT.free):
        assert acc.login("client:10.0.0.3", "x", now=t + 9000 + i, client=f"10.1.0.{i}") is None
    assert acc.login("minh", "secret-pass-2", now=t + 9000 + CLIENT.free, client="10.0.0.3").name == "minh"

    token = acc.new_session("lan", hours=1)
    assert acc.user_for_session(token).name == "lan" and acc.user_for_session(token + "x") is None
    assert acc.user_for_session(token, now=time_after(hours=2)) is None  # expired
    acc.set_role("lan", "admin")
    assert acc.user_for_session(token).role == "admin"
    with pytest.raises(AccountError):
        acc.set_role("lan", "owner")
    acc.set_password("lan", "another-pass-1")
    assert acc.user_for_session(token) is None  # a new password ends every session
    token = acc.new_session("minh", hours=1)
    acc.end_session(token)
    assert acc.user_for_session(token) is None


def test_api_keys_have_ids_and_can_be_revoked_one_or_all(tmp_path, database_url):
    acc = Accounts(tmp_path, database_url)
    acc.add("lan", "secret-pass-1")
    (id1, key1), (id2, key2) = acc.new_key("lan"), acc.new_key("lan")
    assert [k.id for k in acc.keys("lan")] == [id1, id2] and all(k.last_used is None for k in acc.keys("lan"))
    assert acc.user_for_key(key1, now=1e9).name == "lan"
    assert {k.id: k.last_used for k in acc.keys("lan")} == {id1: 1e9, id2: None}
    acc.set_password("lan", "another-pass-1")
    assert acc.user_for_key(key1) is not None  # a new password ends sessions, not keys: revoke ends keys
    assert acc.revoke("lan", id1) == 1
    assert acc.user_for_key(key1) is None and acc.user_for_key(key2).name == "lan"
    with pytest.raises(AccountError):
        acc.revoke("lan", id1)
    acc.new_key("lan")
    assert acc.revoke("lan") == 2 and acc.keys("lan") == [] and acc.user_for_key(key2) is None
    assert acc.login("lan", "another-pass-1").name == "lan"  # the user stays


def test_names_and_passwords_are_nfc_and_look_alike_names_are_refused(tmp_path, database_url):
    import unicodedata

    acc = Accounts(tmp_path, database_url)
    nfd = unicodedata.normalize("NFD", "nguyễn.đức")
    acc.add(nfd, unicodedata.normalize("NFD", "mật-khẩu-dài"))
    assert acc.login("nguyễn.đức", "mật-khẩu-dài").name == "nguyễn.đức"  # typed as NFC
    with pytest.raises(AccountError):
        acc.add("nguyễn.đức", "secret-pass-1")  # the same name, however it was typed
    acc.add("admin", "secret-pass-1", "admin")
    with pytest.raises(AccountError, match="look-alike"):
        acc.add("\u0430dmin", "secret-pass-2")  # a Cyrillic а
    acc.add("Đức_2", "secret-pass-3")  # Vietnamese letters are one script with Latin


def test_a_wrong_password_costs_the_same_for_known_and_unknown_names(tmp_path, monkeypatch, database_url):
    import hashlib

    acc = Accounts(tmp_path, database_url)
    acc.add("lan", "secret-pass-1")
    acc.login("nobody", "x", client="warm-up")  # the decoy hash is made once
    calls: list[int] = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **kw: calls.append(kw["n"]) or real(*a, **kw))
    for name in ("lan", "nobody-at-all"):
        acc.login(name, "wrong-pass", client=f"10.0.0.{len(name)}")
    assert calls == [2**14, 2**14]  # one hash of the same cost each (it was two for an unknown name)


def time_after(hours: float) -> float:
    import time

    return time.time() + hours * 3600


def test_the_audit_says_who_changed_which_user_and_key(tmp_path, database_url):
    acc = Accounts(tmp_path, database_url)
    acc.add("quan", "secret-pass-1", "admin")  # on the command line
    acc.add("lan", "secret-pass-2", "editor", by="quan")  # through the admin panel
    key_id, _ = acc.new_key("lan", by="quan")
    acc.set_role("lan", "reader", by="quan")
    acc.revoke("lan", key_id, by="quan")
    acc.remove("lan", by="quan")
    with pytest.raises(AccountError):
        acc.remove("lan", by="quan")  # a change that did not happen is not recorded
    log = acc.audit_log()
    assert [(e.actor, e.action, e.subject, e.detail) for e in reversed(log)] == [
        ("shell", "add user", "quan", "admin"), ("quan", "add user", "lan", "editor"),
        ("quan", "add API key", "lan", key_id), ("quan", "set role", "lan", "reader"),
        ("quan", "revoke API keys", "lan", key_id), ("quan", "remove user", "lan", "")]
    assert all("secret-pass" not in repr(e) for e in log) and len(acc.audit_log(limit=2)) == 2


def test_a_database_made_before_migrations_is_upgraded_in_place(tmp_path):
    import sqlite3

    from assistant.app.accounts import _key_digest

    old = sqlite3.connect(tmp_path / "assistant.db")  # the schema of the release before migrations
    old.executescript("""
        CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL, created REAL NOT NULL);
        CREATE TABLE api_keys (digest TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                               created REAL NOT NULL);
        CREATE TABLE sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
        CREATE TABLE login_failures (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL);
        CREATE TABLE conversations (id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                                    title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
        CREATE TABLE turns (conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                            seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (conversation, seq));
    """)
    old.execute("INSERT INTO users VALUES ('lan', 'editor', ?, 1.0)", (hash_password("secret-pass-1"),))
    old.execute("INSERT INTO api_keys VALUES (?, 'lan', 2.0)", (_key_digest("ak-old-key"),))
    old.execute("INSERT INTO conversations VALUES ('c1', 'lan', 'Câu hỏi cũ', 3.0, 3.0)")
    old.commit()
    old.close()
    acc = Accounts(tmp_path)
    assert acc.login("lan", "secret-pass-1").role == "editor"  # users, keys and conversations kept
    assert acc.user_for_key("ak-old-key").name == "lan" and [k.id for k in acc.keys("lan")] == [_key_digest("ak-old-key")[:8]]
    from assistant.app.conversations import Conversations

    assert [c.title for c in Conversations(acc).list("lan")] == ["Câu hỏi cũ"]
    acc.add("minh", "secret-pass-2", by="lan")
    assert acc.audit_log()[0].subject == "minh"
