// What the order of Message-IDs costs the outcome write on SQLite (the index of message_id that bounces look
// deliveries up by): a table shaped like deliveries (its three indexes), 200,000 rows already SENT, then 60,000
// outcomes in transactions of 25 — their Message-IDs with a random first part (`<herald.<16 hex>.<id>@…>`, as until
// 7 December 2026) or the delivery's id first (`<herald.<id>.<16 hex>@…>`). Alternated twice; prints µs per outcome.
//   node bench/profiling/message-id-order.cjs
const Database=require('better-sqlite3');const os=require('os');const path=require('path');const fs=require('fs');const c=require('crypto');
for (const mode of ['random','sequential','random','sequential']){
  const f=path.join(os.tmpdir(),'herald-message-id-'+mode+'.db'); for(const x of [f,f+'-wal',f+'-shm']) fs.rmSync(x,{force:true});
  const db=new Database(f); db.pragma('journal_mode=WAL'); db.pragma('synchronous=NORMAL'); db.pragma('cache_size=-2000');
  db.exec('create table d(id integer primary key, status text, priority int, next_at int, message_id text, reply text, recipient int)');
  db.exec('create index i1 on d(status,priority,next_at,id)'); db.exec('create index i2 on d(message_id)'); db.exec('create index i3 on d(recipient,id)');
  const ins=db.prepare("insert into d(status,priority,next_at,recipient) values('CLAIMED',0,0,?)");
  const upd=db.prepare("update d set status='SENT', message_id=?, reply='250 ok', next_at=null where id=?");
  let id=0;
  // prefill 200k sent rows
  db.transaction(()=>{for(let i=0;i<200000;i++){ins.run(i%1000);}})();
  db.transaction(()=>{for(let i=1;i<=200000;i++){const m=mode==='random'?`<herald.${c.randomBytes(8).toString('hex')}.${i}@x>`:`<herald.${i}.${c.randomBytes(8).toString('hex')}@x>`;upd.run(m,i);}})();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const N=60000; for(let i=0;i<N;i++) ins.run(i%1000);
  const cpu0=process.cpuUsage(); const t0=process.hrtime.bigint(); let next=200001;
  for(let b=0;b<N/25;b++){ db.exec('BEGIN IMMEDIATE'); for(let k=0;k<25;k++){const i=next++;const m=mode==='random'?`<herald.${c.randomBytes(8).toString('hex')}.${i}@x>`:`<herald.${i}.${c.randomBytes(8).toString('hex')}@x>`;upd.run(m,i);} db.exec('COMMIT'); }
  const cpu=process.cpuUsage(cpu0); console.log(mode, 'us per outcome wall', (Number(process.hrtime.bigint()-t0)/1000/N).toFixed(1), 'cpu', ((cpu.user+cpu.system)/N).toFixed(1));
  db.close(); for(const x of [f,f+'-wal',f+'-shm']) fs.rmSync(x,{force:true});
}
