#!/bin/sh
# Remakes the small real captures the capture reader tests compare: curl talking to a node HTTP server on
# 127.0.0.1, recorded by tcpdump on lo (lo.pcap), then converted by editcap to pcapng (lo.pcapng) and to
# nanosecond pcap (lo-nanos.pcap); and curl over [::1] recorded on `-i any` as Linux cooked SLL2 (any-v6.pcap).
# Needs root for tcpdump; installs tools through fixtures/make/tools.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../../fixtures/make/tools.sh"
port=${PORT:-18631}
node -e "const h=(q,s)=>{let n=0;q.on('data',c=>n+=c.length);q.on('end',()=>s.end('got '+n+' bytes\n'))};const {createServer}=require('http');createServer(h).listen($port,'127.0.0.1');createServer(h).listen($port,'::1')" &
srv=$!
tcpdump -i lo -s 0 -U -w "$here/lo.pcap" "ip and tcp port $port" 2>/dev/null &
dump=$!
tcpdump -i any -y LINUX_SLL2 -s 0 -U -w "$here/any-v6.pcap" "ip6 and tcp port $port" 2>/dev/null &
dump6=$!
sleep 1
curl -s "http://127.0.0.1:$port/hello?x=1" >/dev/null
curl -s -H 'Content-Type: application/json' --data '{"name":"Ada","age":7}' "http://127.0.0.1:$port/profile" >/dev/null
curl -s -H 'Content-Type: application/json' --data '{"lat":48.85,"lon":2.35}' "http://[::1]:$port/where" >/dev/null
sleep 1
kill "$dump" "$dump6" "$srv"
wait "$dump" "$dump6" 2>/dev/null || true
editcap -F pcapng "$here/lo.pcap" "$here/lo.pcapng"
editcap -F nsecpcap "$here/lo.pcap" "$here/lo-nanos.pcap"
for f in lo any-v6; do
  tshark -r "$here/$f.pcap" -T fields -e tcp.stream -e tcp.srcport -e tcp.dstport -e tcp.len > "$here/$f.tshark.tsv"
done
