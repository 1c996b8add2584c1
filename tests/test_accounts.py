"""Accounts of a shared server: one SQLite file, scrypt hashes, API keys kept only as digests."""

import sqlite3
import subprocess
import sys

import pytest

from assistant.app.accounts import AccountError, Accounts, check_password, hash_password


def test_passwords_are_salted_scrypt_hashes_and_checked():
    a, b = hash_password("mật khẩu dài"), hash_password("mật khẩu dài")
    assert a != b and a.startswith("scrypt$") and "mật" not in a
    assert check_password("mật khẩu dài", a) and not check_password("mật khẩu dài!", a)
    assert not check_password("x", "garbage") and not check_password("x", "md5$1$2$3$aa$bb")


def test_users_roles_keys_and_removal(tmp_path):
    acc = Accounts(tmp_path)
    assert acc.count() == 0 and not (tmp_path / "assistant.db").exists()  # asking creates nothing
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
    key = acc.new_key("lan")
    assert acc.user_for_key(key).name == "lan" and acc.user_for_key(key + "x") is None
    raw = (tmp_path / "assistant.db").read_bytes()
    assert key.encode() not in raw and b"secret-pass-1" not in raw  # only digests on disk
    lan = acc.user_for_key(key)
    assert lan.may("reader") and lan.may("editor") and not lan.may("admin")
    assert [(u.name, u.role, u.keys) for u in acc.list()] == [("lan", "editor", 1), ("minh", "reader", 0)]
    acc.set_password("lan", "new-secret-9")
    assert acc.login("lan", "secret-pass-1") is None and acc.login("lan", "new-secret-9")
    acc.remove("lan")
    assert acc.user_for_key(key) is None  # the user's keys go with them
    con = sqlite3.connect(tmp_path / "assistant.db")
    assert con.execute("SELECT COUNT(*) FROM api_keys").fetchone()[0] == 0
    with pytest.raises(AccountError):
        acc.remove("lan")


def test_users_cli_end_to_end(tmp_path):
    env_cmd = [sys.executable, "-m", "assistant.app.cli", "users"]

    def run(*args, stdin=""):
        return subprocess.run([*env_cmd, *args], check=False, input=stdin, capture_output=True, text=True, cwd=tmp_path)

    assert run("add", "lan", "--role", "admin", "--password-stdin", stdin="secret-pass-1\n").returncode == 0
    out = run("key", "lan")
    assert out.returncode == 0
    key = out.stdout.split()[-1]  # the key is the last word of the output
    assert Accounts(tmp_path / "data").user_for_key(key).role == "admin"
    assert "lan\tadmin\t1 API key(s)" in run("list").stdout
    bad = run("passwd", "lan", "--password-stdin", stdin="short\n")
    assert bad.returncode == 1 and bad.stderr.strip() == "Error: a password has at least 8 characters"
    gone = run("remove", "nobody")
    assert gone.returncode == 1 and gone.stderr.strip() == "Error: no user 'nobody'"


def test_logins_are_throttled_per_name_and_per_client_and_sessions_end(tmp_path):
    from assistant.app.accounts import LOCKOUT, LoginThrottled

    acc = Accounts(tmp_path)
    acc.add("lan", "secret-pass-1")
    acc.add("minh", "secret-pass-2")
    t = 1_000_000.0
    for i in range(5):
        assert acc.login("lan", "wrong-pass", now=t + i) is None
    with pytest.raises(LoginThrottled) as locked:
        acc.login("lan", "secret-pass-1", now=t + 10)  # the right password, refused while locked
    assert 0 < locked.value.retry_after <= LOCKOUT and "giây" in locked.value.vi
    with pytest.raises(LoginThrottled):
        acc.login("Lan", "whatever", now=t + 11)
    assert acc.login("minh", "secret-pass-2", now=t + 10).name == "minh"  # other names are not locked
    assert acc.login("lan", "secret-pass-1", now=t + 4 + LOCKOUT + 1).name == "lan"  # the lockout ends
    # one client trying many names is stopped after 20 failures, whatever the names
    for i in range(20):
        assert acc.login(f"guess{i}", "x", now=t + 5000 + i, client="10.0.0.9") is None
    with pytest.raises(LoginThrottled):
        acc.login("minh", "secret-pass-2", now=t + 5030, client="10.0.0.9")
    assert acc.login("minh", "secret-pass-2", now=t + 5030, client="10.0.0.7").name == "minh"

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


def time_after(hours: float) -> float:
    import time

    return time.time() + hours * 3600
