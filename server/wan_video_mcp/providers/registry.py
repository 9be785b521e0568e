"""All adapters, and the choice of which one serves a call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from wan_video_mcp.errors import ConfigurationError, InvalidRequest
from wan_video_mcp.params import GeneratingArgs, ModelName
from wan_video_mcp.providers import catalogue
from wan_video_mcp.settings import PROVIDER_NAMES, ProviderName, Settings
from wan_video_mcp.tasks import TaskHandle, bad_handle

if TYPE_CHECKING:
    from wan_video_mcp.providers.base import ProviderAdapter


class ProviderRegistry:
    """The adapters are built on first use: what is offered where (tools/list, the player)
    is the catalogue's, so serving the tool definitions imports none of them."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._default: ProviderName | None = settings.provider
        self._built: dict[ProviderName, ProviderAdapter] | None = None

    @property
    def _adapters(self) -> dict[ProviderName, ProviderAdapter]:
        if self._built is None:
            self._built = _adapters_for(self._settings)
        return self._built

    def __iter__(self) -> Iterator[ProviderAdapter]:
        return iter(self._adapters.values())

    def base_urls(self) -> list[str]:
        """Where each provider is reached (its result links may come from there too)."""
        return [catalogue.base_url(name, self._settings) for name in PROVIDER_NAMES]

    def get(self, name: ProviderName) -> ProviderAdapter:
        return self._adapters[name]

    def handle(self, text: str) -> TaskHandle:
        """A caller's task handle, its id checked against its provider's rules before any use."""
        handle = TaskHandle.parse(text)
        adapter = self._adapters[handle.provider]
        if not adapter.valid_task_id(handle.task_id):
            raise bad_handle(text, f"does not hold a valid {adapter.label} task id ({adapter.task_id_rule})")
        return handle

    def offering(self, model: ModelName) -> list[ProviderName]:
        return [
            name for name in PROVIDER_NAMES if catalogue.model_id(name, model, self._settings) is not None
        ]

    def choose(self, args: GeneratingArgs) -> ProviderAdapter:
        """The adapter for this call; refuses (before any request) when none fits."""
        if args.provider is not None:
            return self._explicit(args.provider, args)
        candidates = self._preference_order()
        for name in candidates:
            adapter = self._adapters[name]
            if adapter.configured and adapter.model_id(args.model) and adapter.unsupported(args) is None:
                return adapter
        raise self._nothing_fits(args)

    def why_not_default(self, args: GeneratingArgs, chosen: ProviderAdapter) -> str | None:
        """A note when the configured default was passed over (another account gets billed)."""
        if args.provider is not None or self._default is None or chosen.name == self._default:
            return None
        default = self._adapters[self._default]
        if not default.configured:
            reason = f"it has no key ({default.key_env})"
        elif default.model_id(args.model) is None:
            reason = f"it does not offer {args.model}"
        else:
            reason = str(default.unsupported(args))
        return (
            f"Used {chosen.label}: the default provider, {default.label}, cannot take this call ({reason})."
        )

    def _preference_order(self) -> list[ProviderName]:
        order: list[ProviderName] = list(PROVIDER_NAMES)
        if self._default is not None:
            order.remove(self._default)
            order.insert(0, self._default)
        return order

    def _explicit(self, name: ProviderName, args: GeneratingArgs) -> ProviderAdapter:
        adapter = self._adapters[name]
        if adapter.model_id(args.model) is None:
            raise InvalidRequest(
                "provider",
                f"{adapter.label} does not offer {args.model}.",
                f"Use one of: {', '.join(self.offering(args.model))}.",
            )
        if (reason := adapter.unsupported(args)) is not None:
            raise InvalidRequest("provider", f"{reason}.", self._who_can(args, exclude={name}))
        if not adapter.configured:
            raise ConfigurationError(
                f"Provider {name} has no API key: set {adapter.key_env} in the MCP server's environment "
                f"(then restart the server), or pass another provider{self._configured_hint(args)}."
            )
        return adapter

    def _who_can(self, args: GeneratingArgs, exclude: set[ProviderName]) -> str:
        able = [
            self._with_key_hint(name)
            for name in self.offering(args.model)
            if name not in exclude and self._adapters[name].unsupported(args) is None
        ]
        if not able:
            return "Change the arguments no provider can take."
        return (
            f"Providers that can do this: {', '.join(able)}. Pass one as `provider`, or change the arguments."
        )

    def _with_key_hint(self, name: ProviderName) -> str:
        adapter = self._adapters[name]
        return name if adapter.configured else f"{name} (needs {adapter.key_env})"

    def _configured_hint(self, args: GeneratingArgs) -> str:
        ready: list[ProviderName] = [n for n in self.offering(args.model) if self._adapters[n].configured]
        return f" (configured for {args.model}: {', '.join(ready)})" if ready else ""

    def _nothing_fits(self, args: GeneratingArgs) -> Exception:
        offering = self.offering(args.model)
        configured: list[ProviderName] = [n for n in offering if self._adapters[n].configured]
        if not configured:
            variables = ", ".join(self._adapters[n].key_env for n in offering)
            return ConfigurationError(
                f"No provider with an API key offers {args.model}. Set one of {variables} in the MCP "
                "server's environment and restart it (run `wan-video-mcp check` to verify keys)."
            )
        reasons = "; ".join(f"{name}: {self._adapters[name].unsupported(args)}" for name in configured)
        return InvalidRequest(
            "provider",
            f"no configured provider can honour these arguments ({reasons}).",
            self._who_can(args, exclude=set(configured)),
        )


def _adapters_for(settings: Settings) -> dict[ProviderName, ProviderAdapter]:
    # Imported here: the adapters (their answer models, error maps, upload rules) are the
    # runtime's, not the tool definitions'.
    from wan_video_mcp.providers.aimlapi import AimlApiAdapter  # noqa: PLC0415
    from wan_video_mcp.providers.apiyi import ApiyiAdapter  # noqa: PLC0415
    from wan_video_mcp.providers.dashscope import DashScopeAdapter  # noqa: PLC0415
    from wan_video_mcp.providers.modellix import ModellixAdapter  # noqa: PLC0415

    return {
        "dashscope": DashScopeAdapter(settings),
        "apiyi": ApiyiAdapter(settings),
        "modellix": ModellixAdapter(settings),
        "aimlapi": AimlApiAdapter(settings),
    }
