package container

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
)

// Docker names unnamed containers "<adjective>_<scientist>"; these are
// shorter lists in the same spirit.
var (
	adjectives = []string{"admiring", "bold", "brave", "calm", "clever", "eager", "elastic", "epic", "festive", "focused",
		"gallant", "gifted", "happy", "hopeful", "jolly", "keen", "kind", "loving", "lucid", "modest", "nifty", "quirky",
		"relaxed", "serene", "sharp", "stoic", "sweet", "tender", "trusting", "vibrant", "wizardly", "zealous"}
	surnames = []string{"albattani", "babbage", "bohr", "curie", "darwin", "dijkstra", "einstein", "euler", "fermi",
		"franklin", "galileo", "hopper", "hypatia", "kepler", "knuth", "lamarr", "lovelace", "mccarthy", "meitner",
		"newton", "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wozniak", "yalow"}
)

// GenerateName returns a random Docker-style name (with the leading "/");
// a retry (attempt > 0) appends a digit, as Docker's generator does.
func GenerateName(attempt int) string {
	name := "/" + pick(adjectives) + "_" + pick(surnames)
	if attempt > 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(10))
		name += n.String()
	}
	return name
}

func pick(list []string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(list))))
	return list[n.Int64()]
}

// GenerateID returns a new 64-hex-digit container ID that is not all
// digits (Docker avoids those so short IDs never look like numbers).
func GenerateID() string {
	for {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		for _, r := range id[:12] {
			if r >= 'a' {
				return id
			}
		}
	}
}
