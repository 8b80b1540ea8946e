package policy_test

import (
	"fmt"

	"github.com/otcdesk/engine/treasury/policy"
)

func ExampleParse() {
	_, err := policy.Parse("treasury.toml", []byte(`
[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qexample"
daily_cap = "0.5"

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "@every 15m"
min = "0.5"
target = "1"
max = 2.5
destination = "cold"
min_sweep = "1"
`))
	fmt.Println(err)
	// Output:
	// treasury.toml: 2 problem(s):
	//   policies.btc-cold.max: want a decimal string such as "1000.50", got float64 2.5
	//   policies.btc-cold.min_sweep: 1 is above destination "cold"'s daily_cap 0.5: the policy could never send
}

func ExamplePolicy_IsDryRun() {
	c, err := policy.Parse("treasury.toml", []byte(`
[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qexample"
daily_cap = "1"

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "@every 15m"
min = "0.5"
target = "1"
max = "2"
destination = "cold"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("dry run:", c.Policies["btc-cold"].IsDryRun())
	// Output:
	// dry run: true
}
