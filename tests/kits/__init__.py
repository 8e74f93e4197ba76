"""The tests' shared kits, in one place: databases (`dbkit`), logins (`authkit`), the browser
(`browserkit`), tiny counties (`countykit`), certificates and rosters (`certkit`, `jobkit`,
`staffkit`), accounts (`accountkit`), data input (`inputkit`), training archives (`archivekit`) and
the benchmarks' (`benchdb`, `sessionkit`)."""
