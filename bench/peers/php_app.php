<?php
// php_app.php: a PHP script as a bench/run peer under php-fpm (pm=static),
// behind nginx's fastcgi_pass. The routes and bodies of
// bench/apps/bench_app.cpp: /plaintext, /sleep?ms=N (usleep: blocks the
// child), /burn?us=N, /redis and /fortunes (Debian's php-redis on the unix
// socket in $_SERVER['BENCH_REDIS'], a persistent connection per child).
const BODY = 'Hello, World!';

function db(): Redis {
    $r = new Redis();
    $r->pconnect($_SERVER['BENCH_REDIS']);
    return $r;
}

function burn(int $us): void {
    $until = getrusage()['ru_utime.tv_sec'] * 1000000 + getrusage()['ru_utime.tv_usec'] + $us;
    $x = 0;
    do {
        for ($i = 0; $i < 256; $i++) $x = ($x * 31 + $i) & 0xFFFFFFFF;
        $u = getrusage();
    } while ($u['ru_utime.tv_sec'] * 1000000 + $u['ru_utime.tv_usec'] < $until);
}

function fortunes(): string {
    $rows = [];
    foreach (db()->lRange('bench:fortunes', 0, -1) as $i => $m) $rows[] = [$i + 1, $m];
    $rows[] = [0, 'Additional fortune added at request time.'];
    usort($rows, fn($a, $b) => strcmp($a[1], $b[1]));
    $out = '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>';
    foreach ($rows as [$id, $m]) {
        $out .= '<tr><td>' . $id . '</td><td>' . str_replace('&#039;', '&#39;', htmlspecialchars($m, ENT_QUOTES)) . '</td></tr>';
    }
    return $out . '</table></body></html>';
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
header('Content-Type: text/plain');
switch ($path) {
    case '/plaintext': $body = BODY; break;
    case '/sleep': usleep((int)($_GET['ms'] ?? 0) * 1000); $body = BODY; break;
    case '/burn': burn((int)($_GET['us'] ?? 100)); $body = BODY; break;
    case '/redis': $body = (string)db()->get('bench:hello'); break;
    case '/fortunes': header('Content-Type: text/html; charset=utf-8'); $body = fortunes(); break;
    default: http_response_code(404); $body = "not found\n";
}
header('Content-Length: ' . strlen($body));
echo $body;
