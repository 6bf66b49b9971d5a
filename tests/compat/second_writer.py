# SPDX-License-Identifier: MIT
"""The second writer of tests/compat/test_second_writer.c: writes the file
computedb serves the way the upstream validator does, for SECONDS seconds,
and prints what it committed as one JSON line.

    python3 second_writer.py DB SECONDS HOTKEY

Like compute/utils/db.py: a plain sqlite3.connect() (5 s busy timeout,
implicit transactions: the module opens a transaction before the first
write and commit() ends it), executemany() of challenge rows as
update_challenge_details does, the miner_details upsert of
update_miner_details, a tb row, and reads in between. A "database is
locked" is what the validator would have lost: it is counted, rolled back
and reported, never retried."""
import json
import sqlite3
import sys
import time

UID0 = 60000  # challenge uids of this writer: 60000-60009


def main():
    path, seconds, hotkey = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    db = sqlite3.connect(path)
    cur = db.cursor()
    done = {"transactions": 0, "challenge_rows": 0, "tb_rows": 0, "locked": 0,
            "reads": 0, "errors": []}
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        rows = [(UID0 + i, hotkey, i % 3 != 0, 0.5 + i, n % 1000000,
                 "2024-05-01T12:00:%02d.%06d" % (i, n % 1000000)) for i in range(10)]
        try:
            cur.execute("SELECT COUNT(*) FROM challenge_details WHERE uid = ?", (UID0,))
            cur.fetchone()
            done["reads"] += 1
            cur.executemany("INSERT INTO challenge_details (uid, ss58_address, success, "
                            "elapsed_time, difficulty, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            rows)
            cur.execute("INSERT INTO miner_details (hotkey, details, no_specs_count) "
                        "VALUES (?, ?, 0) ON CONFLICT(hotkey) DO UPDATE SET "
                        "details=excluded.details, no_specs_count=0",
                        (hotkey, json.dumps({"n": n})))
            cur.execute("INSERT INTO tb (hotkey, details) VALUES (?, ?)", (hotkey, str(n)))
            db.commit()
            done["transactions"] += 1
            done["challenge_rows"] += len(rows)
            done["tb_rows"] += 1
        except sqlite3.OperationalError as e:
            db.rollback()
            done["locked"] += 1
            if len(done["errors"]) < 5:
                done["errors"].append(str(e))
    db.close()
    print(json.dumps(done))


if __name__ == "__main__":
    main()
