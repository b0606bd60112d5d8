"""``bptrace serve``: the app for a class, over SSH (asyncssh) and in a browser (textual-serve).

Every connection gets its own ordinary ``python -m bptrace`` app process, marked as served
(no file written on the server, no user code run). A small follow hub, on a Unix socket in a
private 0700 directory, carries the teacher's source and step to the students' sessions.
Nothing here imports torch or textual; the session processes do, as the app always does.
"""
