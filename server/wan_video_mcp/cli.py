"""The `wan-video-mcp` command: serve (stdio or http), demo, check, emulator."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import anyio
from pydantic import ValidationError

from wan_video_mcp.app import build_server
from wan_video_mcp.errors import ConfigurationError
from wan_video_mcp.logs import configure_logging
from wan_video_mcp.malloc_tuning import tune_malloc
from wan_video_mcp.settings import Settings, load_settings

DEMO_OUTPUT = Path("wan-video-mcp-demo")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    if command == "emulator":
        return _run_emulator(args.host, args.port)
    if command == "demo":
        return _run_demo(Path(args.output_dir).resolve())
    settings = _settings(args.env_file)
    if settings is None:
        return 2
    configure_logging(settings.log_level, settings.redactor())
    if command == "check":
        return _check(settings, args.json)
    if getattr(args, "transport", "stdio") == "http":
        return _serve_http(settings, args.env_file, args.host, args.port)
    return _serve(settings, None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wan-video-mcp",
        description="MCP server for Alibaba's Wan video models. Without a command: serve over stdio.",
    )
    parser.add_argument("--env-file", help="read settings from this .env file too (the environment wins)")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the MCP server (default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="http only (default 127.0.0.1); any other address needs WAN_MCP_AUTH_TOKENS(_FILE) or "
        "WAN_MCP_OAUTH_ISSUER (README: Deploying for a team)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="http only (default 8000); MCP endpoint at /mcp"
    )
    demo = commands.add_parser(
        "demo", help="run the whole flow against the built-in emulator (no key, no network)"
    )
    demo.add_argument(
        "--output-dir",
        default=str(DEMO_OUTPUT),
        help=f"where the demo saves videos (default ./{DEMO_OUTPUT})",
    )
    check = commands.add_parser("check", help="is each provider's key set, and does the provider accept it?")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    emulator = commands.add_parser("emulator", help="run the provider emulator alone (for manual testing)")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8777)
    return parser


def _settings(env_file: str | None) -> Settings | None:
    try:
        return load_settings(env_file)
    except ValidationError as exc:
        print(f"wan-video-mcp: invalid configuration: {_problems(exc)}", file=sys.stderr)
        return None


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))


def _serve_http(settings: Settings, env_file: str | None, host: str, port: int) -> int:
    # HTTP-only pieces (uvicorn, auth) are imported here, off the stdio path.
    from wan_video_mcp.http.config import load_http_settings  # noqa: PLC0415
    from wan_video_mcp.http.serve import serve_http  # noqa: PLC0415

    try:
        http = load_http_settings(env_file)
    except ValidationError as exc:
        print(f"wan-video-mcp: invalid configuration: {_problems(exc)}", file=sys.stderr)
        return 2
    return _serve(settings, partial(serve_http, build_server(settings), settings, http, host, port))


def _serve(settings: Settings, run: Callable[[], Awaitable[None]] | None) -> int:
    tune_malloc()
    try:
        serve = run or build_server(settings).run_stdio_async
        # What start-up made (the SDK's protocol types, ~90,000 objects) lives as long as the
        # process: the cyclic collector need not walk it again at every full collection. With
        # 1,000 waits, full collections took 1.5 -> 0.8 s of a run, the longest 229 -> 166 ms.
        gc.freeze()
        anyio.run(serve)
    except BaseException as exc:
        problem = _configuration_problem(exc)
        if problem is None:
            raise
        print(f"wan-video-mcp: {problem.message}", file=sys.stderr)
        return 2
    return 0


def _configuration_problem(exc: BaseException) -> ConfigurationError | None:
    """The ConfigurationError behind a start-up failure (task groups wrap it in groups)."""
    if isinstance(exc, ConfigurationError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        group: BaseExceptionGroup[BaseException] = exc  # pyright: ignore[reportUnknownVariableType]
        for inner in group.exceptions:
            if (found := _configuration_problem(inner)) is not None:
                return found
    return None


def _run_demo(output_dir: Path) -> int:
    from wan_video_mcp.demo import run_demo  # noqa: PLC0415  (off the serve path, as below)

    return anyio.run(run_demo, output_dir)


def _check(settings: Settings, as_json: bool) -> int:
    # Imported by the command that uses them: `serve` starts without the checks, the
    # spending report, the demo or the emulator (and the HTTP server they bring).
    from wan_video_mcp.check import check_keys, exit_code, render_report  # noqa: PLC0415
    from wan_video_mcp.costs.report import spend_report  # noqa: PLC0415

    results = anyio.run(check_keys, settings)
    print(render_report(results, as_json))
    if not as_json:  # the JSON stays the list of key checks
        try:
            print(anyio.run(spend_report, settings))
        except ConfigurationError as exc:
            print(f"Spending: {exc.message}", file=sys.stderr)
            return 2
    return exit_code(results)


def _run_emulator(host: str, port: int) -> int:
    from wan_video_mcp.emulator import serve_emulator  # noqa: PLC0415  (as above)

    async def forever() -> None:
        async with serve_emulator(host=host, port=port) as running:
            print(f"Provider emulator on {running.origin}. Point the server at it with:")
            for name, value in running.environment().items():
                print(f"  export {name}={value}")
            await anyio.sleep_forever()

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(forever)
    return 0


if __name__ == "__main__":
    sys.exit(main())
