/*
 * unit_exec.c: starts a service the way systemd starts spindled.service with
 * spindled.socket, for machines without a systemd PID 1 (chroots, this CI):
 * the package install check (install_check.sh) uses it to prove that the
 * shipped unit and config start under the unit's own restrictions.
 *
 * As root it creates the socket unit's listening unix sockets (owner, group,
 * mode), then forks the service. The child takes the unit's User= (with that
 * user's groups, as systemd does), UMask= and LimitNOFILE=, sets
 * NoNewPrivileges=, installs a seccomp filter that allows exactly the system
 * calls named in a file (the expansion of the unit's SystemCallFilter= lines)
 * and fails every other one with SystemCallErrorNumber=, and execs the
 * command with the sockets as fds 3... (LISTEN_FDS, LISTEN_PID) and a
 * NOTIFY_SOCKET. The parent plays PID 1: it prints every sd_notify message
 * with its sender (NotifyAccess=main: only the main pid may speak), forwards
 * SIGTERM/SIGINT/SIGHUP to the main process and exits with its status.
 *
 *   unit_exec [--listen PATH:USER:GROUP:MODE]... [--backlog N] [--user NAME]
 *             [--umask OCTAL] [--nofile N] [--syscalls FILE] [--errno NAME]
 *             [--notify PATH] -- COMMAND [ARG]...
 *
 * The rest of the unit's sandbox (ProtectSystem=, PrivateTmp=, namespaces,
 * RestrictAddressFamilies=) is not reproduced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SOCKETS 8

static volatile sig_atomic_t forward_signal;

static void
die(const char *what)
{
    fprintf(stderr, "unit_exec: %s: %s\n", what, strerror(errno));
    exit(111);
}

static void
usage(void)
{
    fprintf(stderr, "usage: unit_exec [--listen PATH:USER:GROUP:MODE]... "
            "[--backlog N] [--user NAME] [--umask OCTAL] [--nofile N] "
            "[--syscalls FILE] [--errno NAME] [--notify PATH] -- CMD...\n");
    exit(2);
}

static int
bind_unix(const char *path, int type, struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path)) {
        fprintf(stderr, "unit_exec: socket path '%s' too long\n", path);
        exit(2);
    }
    strcpy(addr->sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *) addr, sizeof(*addr)) != 0) die(path);
    return fd;
}

/* ListenStream=PATH with SocketUser=, SocketGroup=, SocketMode=. */
static int
make_listener(char *spec, int backlog)
{
    struct sockaddr_un addr;
    char *path = strtok(spec, ":"), *user = strtok(NULL, ":");
    char *group = strtok(NULL, ":"), *mode = strtok(NULL, ":");
    struct passwd *pw;
    struct group *gr;
    int fd;

    if (!path || !user || !group || !mode) usage();
    pw = getpwnam(user);
    gr = getgrnam(group);
    if (!pw || !gr) {
        fprintf(stderr, "unit_exec: unknown user '%s' or group '%s'\n", user,
                group);
        exit(2);
    }
    fd = bind_unix(path, SOCK_STREAM, &addr);
    if (chown(path, pw->pw_uid, gr->gr_gid) != 0) die("chown");
    if (chmod(path, (mode_t) strtoul(mode, NULL, 8)) != 0) die("chmod");
    if (listen(fd, backlog) != 0) die("listen");
    return fd;
}

/* SystemCallFilter= as an allow list; everything else fails with errno. */
static void
install_filter(const char *file, int err)
{
    char name[128];
    int nr, allowed = 0;
    FILE *f = fopen(file, "r");
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(err));

    if (!f) die(file);
    if (!ctx) die("seccomp_init");
    while (fscanf(f, "%127s", name) == 1) {
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue;  /* not on this architecture */
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0) allowed++;
    }
    fclose(f);
    if (allowed == 0) {
        fprintf(stderr, "unit_exec: no system call allowed by '%s'\n", file);
        exit(2);
    }
    if (seccomp_load(ctx) != 0) die("seccomp_load");
    seccomp_release(ctx);
}

static void
become(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "unit_exec: unknown user '%s'\n", user);
        exit(2);
    }
    if (initgroups(user, pw->pw_gid) != 0) die("initgroups");
    if (setgid(pw->pw_gid) != 0) die("setgid");
    if (setuid(pw->pw_uid) != 0) die("setuid");
}

static void
on_signal(int sig)
{
    forward_signal = sig;
}

/* The parent: print sd_notify datagrams, forward signals, reap. */
static int
supervise(pid_t main_pid, int notify_fd)
{
    char buf[4096], control[CMSG_SPACE(sizeof(struct ucred))];
    struct pollfd p = {notify_fd, POLLIN, 0};
    int status;

    for (;;) {
        if (forward_signal) {
            kill(main_pid, forward_signal);
            forward_signal = 0;
        }
        if (waitpid(main_pid, &status, WNOHANG) == main_pid) break;
        if (notify_fd < 0 || poll(&p, 1, 100) <= 0) {
            if (notify_fd < 0) usleep(100000);
            continue;
        }
        struct iovec iov = {buf, sizeof(buf) - 1};
        struct msghdr msg = {0};
        struct cmsghdr *c;
        pid_t sender = -1;
        ssize_t n;

        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        n = recvmsg(notify_fd, &msg, MSG_DONTWAIT);
        if (n <= 0) continue;
        buf[n] = '\0';
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                sender = cred.pid;
            }
        }
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            printf("unit_exec: notify %s '%s'\n",
                   sender == main_pid ? "main" : "OTHER-PID", line);
        }
        fflush(stdout);
    }
    if (WIFEXITED(status)) {
        printf("unit_exec: main process exited, status %d\n",
               WEXITSTATUS(status));
        return WEXITSTATUS(status);
    }
    printf("unit_exec: main process killed by signal %d\n", WTERMSIG(status));
    return 128 + WTERMSIG(status);
}

int
main(int argc, char **argv)
{
    char *specs[MAX_SOCKETS], *user = NULL, *syscalls = NULL, *notify = NULL;
    int nspecs = 0, backlog = 4096, err = EPERM, fds[MAX_SOCKETS], i;
    int notify_fd = -1, one = 1;
    mode_t mask = 022;
    rlim_t nofile = 0;
    struct sockaddr_un naddr;
    char env[64];
    pid_t pid;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--listen") == 0 && nspecs < MAX_SOCKETS) {
            specs[nspecs++] = argv[++i];
        } else if (strcmp(argv[i], "--backlog") == 0) {
            backlog = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--user") == 0) {
            user = argv[++i];
        } else if (strcmp(argv[i], "--umask") == 0) {
            mask = (mode_t) strtoul(argv[++i], NULL, 8);
        } else if (strcmp(argv[i], "--nofile") == 0) {
            nofile = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--syscalls") == 0) {
            syscalls = argv[++i];
        } else if (strcmp(argv[i], "--errno") == 0) {
            i++;
            if (strcmp(argv[i], "EPERM") != 0) usage();  /* the unit's */
        } else if (strcmp(argv[i], "--notify") == 0) {
            notify = argv[++i];
        } else {
            usage();
        }
    }
    if (i + 1 >= argc) usage();
    argv += i + 1;

    for (i = 0; i < nspecs; i++) fds[i] = make_listener(specs[i], backlog);
    if (notify) {
        notify_fd = bind_unix(notify, SOCK_DGRAM, &naddr);
        setsockopt(notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
        chmod(notify, 0666);  /* the service runs as another user */
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);

    pid = fork();
    if (pid < 0) die("fork");
    if (pid > 0) return supervise(pid, notify_fd);

    /* The service: fds 3.. are the sockets, without close-on-exec. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    for (i = 0; i < nspecs; i++) fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64);
    for (i = 0; i < nspecs; i++) {
        if (dup2(fds[i], 3 + i) < 0) die("dup2");
    }
    if (nspecs > 0) {
        snprintf(env, sizeof(env), "%d", nspecs);
        setenv("LISTEN_FDS", env, 1);
        snprintf(env, sizeof(env), "%d", (int) getpid());
        setenv("LISTEN_PID", env, 1);
    }
    if (notify) setenv("NOTIFY_SOCKET", notify, 1);
    umask(mask);
    if (nofile > 0) {
        /* PID 1 may raise the hard limit; a sandbox like this CI's may not
         * (20,000 here): take what there is and say so. */
        struct rlimit rl = {nofile, nofile}, now;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &now) == 0) {
            fprintf(stderr, "unit_exec: LimitNOFILE=%lu refused (%s), using the "
                    "hard limit %lu\n", (unsigned long) nofile, strerror(errno),
                    (unsigned long) now.rlim_max);
            now.rlim_cur = now.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &now) != 0) die("setrlimit");
        }
    }
    if (user) become(user);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
    if (syscalls) install_filter(syscalls, err);
    execv(argv[0], argv);
    die(argv[0]);
    return 111;
}
