"""Configuration: blank means unset, base URLs forgive a version path, keys stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from wan_video_mcp.settings import Settings, load_settings

CONFIG = Path(__file__).resolve().parent.parent / "config"


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        (
            "dashscope_base_url",
            "https://dashscope-intl.aliyuncs.com/api/v1/",
            "https://dashscope-intl.aliyuncs.com",
        ),
        (
            "dashscope_base_url",
            " https://ws.ap-southeast-1.maas.aliyuncs.com ",
            "https://ws.ap-southeast-1.maas.aliyuncs.com",
        ),
        ("apiyi_base_url", "https://api.apiyi.com/v1", "https://api.apiyi.com"),
        ("apiyi_base_url", "https://vip.apiyi.com/wan", "https://vip.apiyi.com"),
        ("modellix_base_url", "https://api.modellix.ai/api/v1", "https://api.modellix.ai"),
        ("aimlapi_base_url", "https://api.aimlapi.com/v2", "https://api.aimlapi.com"),
    ],
)
def test_base_urls_forgive_a_version_path(field: str, given: str, expected: str) -> None:
    assert getattr(Settings.model_validate({field: given}), field) == expected


def test_blank_environment_values_count_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DASHSCOPE_API_KEY",
        "WAN_MCP_DATA_DIR",
        "APIYI_BASE_URL",
        "WAN_MCP_POLL_MAX_SECONDS",
        "WAN_MCP_PROVIDER",
    ):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("HOME", str(tmp_path))

    settings = load_settings()

    assert (
        settings.dashscope_api_key is None and settings.provider is None and settings.poll_max_seconds is None
    )
    assert settings.apiyi_base_url == "https://api.apiyi.com"
    assert settings.data_dir.is_absolute() and settings.data_dir.name == "wan-video-mcp"


def test_the_example_env_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)

    settings = load_settings(str(CONFIG / "wan-video-mcp.env.example"))

    assert settings.wait_seconds is None, "empty: chosen per client"
    assert (
        settings.dashscope_region == "intl" and settings.download is True and settings.max_resource_mb == 32
    )


def test_the_environment_wins_over_the_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAN_MCP_WAIT_SECONDS", "20")

    assert load_settings(str(CONFIG / "wan-video-mcp.env.example")).wait_seconds == 20


def test_keys_do_not_show_in_a_repr() -> None:
    settings = Settings.model_validate({"dashscope_api_key": "sk-very-secret"})

    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())
    assert settings.secrets() == ["sk-very-secret"]
