"""Password hashing (argon2id, salted, rehash when parameters change) and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from db.accounts import auth
from db.accounts.auth import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)


def test_default_hasher_is_argon2id_with_slow_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real module-level hasher, not the tests' fast one
    digest = auth.hash_password("Correct-horse-42")
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert auth.verify_password(digest, "Correct-horse-42")


def test_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("Correct-horse-42"), hash_password("Correct-horse-42")
    assert first != second
    assert "Correct-horse-42" not in first
    assert verify_password(first, "Correct-horse-42") and verify_password(second, "Correct-horse-42")


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$broken"])
def test_bad_stored_hash_never_verifies(stored: str) -> None:
    assert verify_password(stored, "anything-at-all") is False


def test_wrong_password_does_not_verify() -> None:
    assert verify_password(hash_password("Correct-horse-42"), "correct-horse-42") is False


def test_needs_rehash_when_parameters_change() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    old = hash_password("Correct-horse-42", hasher=weak)
    assert needs_rehash(old, hasher=PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    assert not needs_rehash(old, hasher=weak)
    assert needs_rehash("garbage")


@pytest.mark.parametrize(
    "password,username,message",
    [
        ("short1!", "zhang", "密码至少需要 10 位"),
        ("1234567890123", "zhang", "密码不能全是数字"),
        ("zhangsan_01", "ZhangSan_01", "密码不能与用户名相同"),
        ("aaaaaaaaaaaa", "zhang", "密码不能由同一个字符重复组成"),
        (" padded-password ", "zhang", "密码首尾不能有空格"),
        ("x" * 300, "zhang", "密码不能超过 256 位"),
    ],
)
def test_policy_refuses_with_chinese_message(password: str, username: str, message: str) -> None:
    assert password_problem(password, username=username) == message
    with pytest.raises(PasswordPolicyError, match=message):
        check_password_policy(password, username=username)


@pytest.mark.parametrize(
    "password", ["Anquan-2024-peixun", "安全生产培训不走过场2024", "9f#2k8!Lq0xz", "Hdx-7731-wq"]
)
def test_policy_accepts(password: str) -> None:
    assert password_problem(password, username="zhang") is None


@pytest.mark.parametrize(
    "password",
    [
        "password12",
        "Password!2024",
        "P@ssw0rd2024",
        "qwertyuiop",
        "QWERTY-123456",
        "Admin12345",
        "admin@2024!",
        "abcdefghij",
        "asdfghjkl;",
        "1234567890ab",
        "!@#$%^&*()12",
        "Welcome-2024",
        "anpei-demo-2023",
        "Anpei-Demo-2023",
        "woaini-1314520",
    ],
)
def test_policy_refuses_common_passwords_and_the_demo_password(password: str) -> None:
    """Issue 11 item 9: `password12`, `qwertyuiop`, `Admin12345` and the demo password were accepted."""
    assert password_problem(password, username="zhang") is not None
    assert "太常见" in (password_problem(password, username="zhang") or "")


def test_the_deny_list_holds_the_sample_countys_demo_password() -> None:
    from db.sample.seed import DEMO_PASSWORD

    assert password_problem(DEMO_PASSWORD, username="admin") is not None
