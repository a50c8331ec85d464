"""`hotline console` (the web console) and `hotline users` (console accounts)."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from hotline.errors import HotlineError
from hotline.settings import get_settings
from models.console import DEPARTMENTS, ROLES

MIN_PASSWORD_CHARS = 8


@click.group("console", invoke_without_command=True)
@click.option("--production", is_flag=True,
              help="Serve with gunicorn (one gthread worker), as systemd and the demo do.")
@click.option("--threads", default=100, show_default=True, type=click.IntRange(4, 2000),
              help="With --production: the worker's threads (each open WebSocket holds one).")
@click.pass_context
def console_group(ctx: click.Context, production: bool, threads: int) -> None:
    """Run the agent console on HOTLINE_CONSOLE_HOST:PORT (or a subcommand).

    Without --production: Werkzeug's development server, for development only.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    click.echo(f"console on http://{settings.console_host}:{settings.console_port}/")
    if production:
        from agent_console.production import serve

        serve(settings, threads)
        return
    from agent_console import socketio
    from agent_console.production import build_app

    socketio.run(build_app(settings), host=settings.console_host, port=settings.console_port,
                 allow_unsafe_werkzeug=True, use_reloader=False)


@console_group.command("compile-translations")
def compile_translations_command() -> None:
    """Compile the .po catalogues to .mo under the state folder (also done on start)."""
    from agent_console.i18n import compiled_translations_dir

    settings = get_settings()
    target = compiled_translations_dir(settings.state_dir)
    click.echo(f"translations compiled in {target}")
    _build_assets(settings.state_dir)


@console_group.command("build-assets")
def build_assets_command() -> None:
    """Synthesise the console's sounds (the ring, the wallboard's alert) with sox."""
    _build_assets(get_settings().state_dir)


def _build_assets(state_dir) -> None:
    from agent_console.assets import AssetBuildError, build_alert_sound, build_ring_sound
    from agent_console.softphone_bundle import build_jssip_bundle

    try:
        path = build_ring_sound(state_dir)
        alert = build_alert_sound(state_dir)
        click.echo(f"softphone bundle written to {build_jssip_bundle(state_dir)}")
    except AssetBuildError as error:
        raise HotlineError(str(error)) from None
    click.echo(f"ring sound written to {path}")
    click.echo(f"alert sound written to {alert}")


@click.group("users")
def users_group() -> None:
    """Console accounts."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_CHARS:
        raise HotlineError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def _department_option(command):
    return click.option(
        "--department", "departments", multiple=True, type=click.Choice(DEPARTMENTS),
        help="With --role department: a department the user works for (repeat for more).")(command)


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="agent")
@_department_option
@click.option("--phone", "phone_interface", default=None,
              help="The phone's queue interface, e.g. PJSIP/8001.")
@click.option("--name", "display_name", default="", help="Name shown on screen.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--exist-ok", is_flag=True,
              help="A user of that name already there is not an error (scripts, demo).")
def add_user_command(username, role, departments, phone_interface, display_name, language,
                     password_stdin, exist_ok) -> None:
    """Create a console account (a department user: --role department --department NAME)."""
    from models.console import User
    from models.session import session_factory
    from workflow.department_members import BadDepartments, bind, check_binding

    if not username or len(username) > 64:
        raise HotlineError("the username must have 1 to 64 characters")
    try:
        check_binding(role, departments)
    except BadDepartments as error:
        raise HotlineError(str(error)) from None
    if phone_interface and "/" not in phone_interface:
        raise HotlineError(f"--phone {phone_interface!r} is not an interface like PJSIP/8001")
    password = _read_password(password_stdin)
    with session_factory(get_settings().database_url)() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            if exist_ok:
                click.echo(f"user {username} exists already; left as it is")
                return
            raise HotlineError(f"user {username!r} exists already")
        user = User(username=username, role=role, phone_interface=phone_interface,
                    display_name=display_name or username, language=language,
                    password_hash=generate_password_hash(password))
        session.add(user)
        try:
            session.flush()
            bind(session, user, departments)
            session.commit()
        except IntegrityError:
            raise HotlineError(f"phone {phone_interface} is bound to another user") from None
    where = ", ".join(filter(None, [phone_interface, *departments]))
    click.echo(f"user {username} ({role}{', ' + where if where else ''}) added")


def _change_user(username: str, **changes) -> None:
    """Store the changes, then end the user's open sockets: a socket keeps the
    rights it was opened with (the wallboard's board, the agent's pops) until then."""
    import redis

    from agent_console.socket_sessions import disconnect_user
    from models.console import User
    from models.session import session_factory

    settings = get_settings()
    with session_factory(settings.database_url)() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise HotlineError(f"no user {username!r}")
        departments = changes.pop("departments", None)
        for name, value in changes.items():
            setattr(user, name, value)
        if departments is not None:
            from workflow.department_members import BadDepartments, bind

            try:
                bind(session, user, departments)
            except BadDepartments as error:
                raise HotlineError(str(error)) from None
        session.commit()
        user_id = user.id
    ended = disconnect_user(redis.Redis.from_url(settings.redis_url), user_id)
    click.echo(f"user {username} changed; {ended} open connection(s) ended")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@_department_option
def set_role_command(username, role, departments) -> None:
    """Change a user's role (their open connections are ended: they reconnect with it).

    A department user names their departments with --department; any other role
    leaves every department."""
    _change_user(username, role=role, departments=departments)


@users_group.command("disable")
@click.argument("username")
def disable_command(username) -> None:
    """Disable an account: no more log-ins, its open connections ended."""
    _change_user(username, active=False)


commands = [console_group, users_group]
